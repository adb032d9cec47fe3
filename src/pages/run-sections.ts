// The parts of a run page read from its audit log: the chain check (and the signatures, where
// the log is signed and this process knows the audit key), the verification results, the plan
// as it changed, and each checkpoint with the edits recorded since the one before.
import { signedBy, type AuditPublicKey } from "../audit/signing.ts";
import type { AuditEvent } from "../audit/types.ts";
import { verifyChain, verifySignatures } from "../audit/verify.ts";
import { markup, type Html } from "./html.ts";
import { planHistory } from "./run-facts.ts";

type Data = Record<string, unknown>;
const rec = (v: unknown): Data => (typeof v === "object" && v !== null ? (v as Data) : {});
const text = (v: unknown): string => (typeof v === "string" ? v : "");

/** One line of the chain check as the page shows it: `ok`, `bad` or `muted`, and its words. */
export interface CheckLine {
  status: "ok" | "bad" | "muted";
  text: string;
}

/**
 * The chain check (and the signatures', where the log is signed and this process holds the key):
 * a hash per event, so on a long run it is the page's costliest part. The page asks for it on its
 * own (/runs/ID/chain) once it is shown, rather than making every view of the page wait for it.
 */
export function chainCheck(
  events: readonly AuditEvent[],
  key?: AuditPublicKey,
): { chain: CheckLine; signature: CheckLine } {
  const chain = verifyChain(events);
  const chainLine: CheckLine = chain.ok
    ? {
        status: "ok",
        text: `Chain verified: ${chain.count} events, each hash matching its content and linked to the one before; head ${chain.head}.`,
      }
    : { status: "bad", text: `Chain broken at event ${chain.seq}: ${chain.reason}` };
  const keyId = signedBy(events);
  if (keyId === null) {
    return {
      chain: chainLine,
      signature: {
        status: "muted",
        text: "Not signed: this log was written without an audit key.",
      },
    };
  }
  if (key === undefined || key.keyId !== keyId) {
    return {
      chain: chainLine,
      signature: {
        status: "muted",
        text: `Signed by audit key ${keyId}; not checked here, since this process does not hold that key (check the download with \`stamina audit verify FILE --key PUBLIC\`).`,
      },
    };
  }
  const signed = chain.ok ? verifySignatures(events, key) : null;
  return {
    chain: chainLine,
    signature:
      signed?.ok === true
        ? {
            status: "ok",
            text: `Signatures verified: ${signed.signatures} by audit key ${signed.keyId}.`,
          }
        : {
            status: "bad",
            text: `Signature check failed${signed === null ? ": the chain is broken" : ` at event ${signed.seq}: ${signed.reason}`}.`,
          },
  };
}

/** The chain check's place on the page, filled by run-page.js from /runs/ID/chain. */
export function chainSection(runId: string): Html {
  return markup`<section>
    <h2>Audit chain</h2>
    <p id="chain" class="muted">Checking the chain…</p>
    <p id="signature" class="muted"></p>
    <noscript><p><a href="/runs/${runId}/chain">The chain check</a></p></noscript>
  </section>`;
}

export function verificationSection(events: readonly AuditEvent[]): Html {
  const results = events.filter((e) => e.type === "verify.result" || e.type === "verify.baseline");
  const rows = results.map((e) => {
    const checks = Array.isArray(e.data.checks) ? e.data.checks.map(rec) : [];
    return markup`<tr class="verification">
      <td>${e.seq}</td>
      <td>${e.type === "verify.baseline" ? "baseline" : text(e.data.phase)}</td>
      <td class="${e.data.passed === true ? "ok" : "bad"}">
        ${e.data.passed === true ? "passed" : "failed"}
      </td>
      <td>
        ${checks.map(
          (c) =>
            markup`<div>
              <span class="${c.passed === true ? "ok" : "bad"}"
                >${c.passed === true ? "✓" : "✗"}</span
              >
              ${text(c.name)}
              <code>${text(c.command)}</code
              >${typeof c.exitCode === "number" ? ` (exit ${c.exitCode})` : ""}${c.timedOut === true ? " timed out" : ""}
            </div>`,
        )}
      </td>
    </tr>`;
  });
  return markup`<section>
    <h2>Verification</h2>
    ${
      rows.length === 0
        ? markup`<p class="muted">No verification yet.</p>`
        : markup`<table>
            <thead>
              <tr>
                <th>Event</th>
                <th>Phase</th>
                <th>Result</th>
                <th>Checks</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>`
    }
  </section>`;
}

export function planSection(events: readonly AuditEvent[]): Html {
  const plans = planHistory(events);
  const mark: Record<string, string> = { done: "☑", in_progress: "◐", pending: "☐" };
  return markup`<section id="plans">
    <h2>Plan, as it changed</h2>
    ${
      plans.length === 0
        ? markup`<p class="muted">The agent has set no plan.</p>`
        : plans.map(
            (p) =>
              markup`<div class="plan">
                <strong>Step ${p.step}</strong> (event ${p.seq})
                <ul>
                  ${p.plan.map((item) => markup`<li>${mark[item.status] ?? "?"} ${item.step}</li>`)}
                </ul>
              </div>`,
          )
    }
  </section>`;
}

/** What an editor or shell call changed, as diff-like lines from the call's input. */
function editLines(e: AuditEvent): Html | null {
  if (e.type !== "tool.call") return null;
  const input = rec(e.data.input);
  const path = text(input.path);
  if (e.data.name === "str_replace_based_edit_tool") {
    const command = text(input.command);
    if (command === "str_replace") {
      return markup`<pre class="diff"><span class="file">${path}</span>
${lines(text(input.old_str), "del")}${lines(text(input.new_str), "add")}</pre>`;
    }
    if (command === "create") {
      return markup`<pre class="diff"><span class="file">${path} (created)</span>
${lines(text(input.file_text), "add")}</pre>`;
    }
    if (command === "insert") {
      return markup`<pre
        class="diff"
      ><span class="file">${path} (insert at line ${typeof input.insert_line === "number" ? input.insert_line : "?"})</span>
${lines(text(input.insert_text ?? input.new_str), "add")}</pre>`;
    }
    return null;
  }
  if (e.data.name === "bash" && typeof input.command === "string") {
    return markup`<pre class="diff"><span class="muted">$ ${input.command}</span></pre>`;
  }
  return null;
}

function lines(block: string, kind: "add" | "del"): Html[] {
  const sign = kind === "add" ? "+" : "-";
  return block
    .split("\n")
    .slice(0, 200)
    .map((line) => markup`<span class="${kind}">${sign}${line}</span> `);
}

/**
 * Each commit the run made (`git.commit`), with the edits and commands recorded since the one
 * before; then the working diff at the last step checkpoint, as the store keeps it.
 */
export function checkpointsSection(
  events: readonly AuditEvent[],
  latest: { step: number; baseSha: string; diff: Buffer } | undefined,
): Html {
  const parts: Html[] = [];
  let edits: Html[] = [];
  for (const e of events) {
    const edit = editLines(e);
    if (edit !== null) edits.push(edit);
    if (e.type === "git.commit") {
      // The commit's own patch where its event keeps one; the edits recorded since the last
      // commit otherwise (a log from before, or a patch git could not give).
      const patch = typeof e.data.patch === "string" ? e.data.patch : null;
      parts.push(
        markup`<details class="checkpoint">
          <summary>
            Commit <code>${text(e.data.sha).slice(0, 12)}</code> (event
            ${e.seq}${text(e.data.reason) ? `, ${text(e.data.reason)}` : ""}):
            ${
              patch !== null
                ? `its diff${e.data.patchCut === true ? " (cut at 64 KB)" : ""}`
                : `${edits.length} edit${edits.length === 1 ? "" : "s"} and commands since the last`
            }
          </summary>
          ${patch !== null ? markup`<pre class="diff commit-diff">${diffLines(Buffer.from(patch, "utf8"))}</pre>` : edits}
        </details>`,
      );
      edits = [];
    }
  }
  const working =
    latest === undefined
      ? markup`<p class="muted">No step checkpoint yet.</p>`
      : markup`<details class="checkpoint" open>
          <summary>
            Working diff at step ${latest.step}, against
            <code>${latest.baseSha.slice(0, 12)}</code> (${latest.diff.length} bytes)
          </summary>
          <pre class="diff" id="working-diff">${diffLines(latest.diff)}</pre>
        </details>`;
  return markup`<section>
    <h2>Checkpoints</h2>
    ${parts}${working}
  </section>`;
}

const DIFF_SHOWN = 200_000;

function diffLines(diff: Buffer): Html[] {
  const body = diff.subarray(0, DIFF_SHOWN).toString("utf8");
  const out = body.split("\n").map((line) => {
    const kind = line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "";
    return markup`<span class="${kind}">${line}</span> `;
  });
  if (diff.length > DIFF_SHOWN)
    out.push(markup`<span class="muted">… cut at ${DIFF_SHOWN} bytes</span>`);
  return out;
}
