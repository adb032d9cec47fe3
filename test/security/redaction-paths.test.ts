// A secret the app holds, in every encoding an attacker would try, kept out of
// everything that leaves the process, through the real paths of a run: the
// model's requests (a command printed it), the pull request and the tracking
// comment (the model wrote it), the audit log. The secret is in a file of the
// repository (a token someone committed), printed as it is, in base64 at
// each offset, reversed, folded across lines, as hex, and split across two
// writes of one command; the model then writes it hex-encoded, URL-encoded,
// reversed and in base64 into its plan and its summary.
import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { createRedactor, REDACTED } from "../../src/observability/redact.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

/** No credential shape: only redaction by value can catch it. */
const SECRET = "wh/7Qx+2Lp9=Vt4Rz8Kc3Nm6Bd&q";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** The base64 characters that depend on the secret's bytes alone, after `offset` other bytes. */
function base64Core(secret: string, offset: number, url = false): string {
  const bytes = Buffer.concat([Buffer.alloc(offset, 0x78), Buffer.from(secret)]);
  const encoded = bytes.toString(url ? "base64url" : "base64");
  const first = Math.ceil((offset * 8) / 6);
  const end = Math.floor((bytes.length * 8) / 6);
  return encoded.slice(first, end);
}

function allPercent(secret: string): string {
  return [...Buffer.from(secret)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
}

const hex = Buffer.from(SECRET).toString("hex");
const FORMS: Record<string, string> = {
  plain: SECRET,
  hex: hex,
  HEX: hex.toUpperCase(),
  "base64 +0": base64Core(SECRET, 0),
  "base64 +1": base64Core(SECRET, 1),
  "base64 +2": base64Core(SECRET, 2),
  "base64url +1": base64Core(SECRET, 1, true),
  "URL-encoded": encodeURIComponent(SECRET),
  "all %XX": allPercent(SECRET),
  reversed: [...SECRET].reverse().join(""),
};

/** Every string in a value (a request body, an event's data), however deep. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      strings(v, out);
    }
  }
  return out;
}

/** The forms of the secret found in `value`, by name: none, when redaction held. */
function leaks(value: unknown): string[] {
  const found = new Set<string>();
  for (const s of strings(value)) {
    for (const [name, form] of Object.entries(FORMS)) if (s.includes(form)) found.add(name);
    if (s.replace(/\r?\n[ \t]*/g, "").includes(SECRET)) found.add("split across lines");
  }
  return [...found];
}

const quoted = (s: string) => `'${s}'`;

describe("a secret the app holds, in any encoding", () => {
  it("reaches neither the model, nor GitHub, nor the audit log", async () => {
    const redactor = createRedactor([SECRET]);
    h = await startHarness(
      {
        "a.txt": "one\n",
        "check.sh": "grep -q two a.txt\n",
        "notes/leak.txt": `${SECRET}\n`,
      },
      { redactor },
    );
    const half = Math.floor(SECRET.length / 2);
    const model = await h.model([
      reply(
        toolUse("bash", {
          command: [
            "cat notes/leak.txt",
            "base64 -w0 notes/leak.txt; echo",
            "(printf x; cat notes/leak.txt) | base64 -w0; echo",
            "(printf xy; cat notes/leak.txt) | base64 -w0; echo",
            "rev notes/leak.txt",
            "fold -w 9 notes/leak.txt",
            "od -An -tx1 notes/leak.txt | tr -d ' \\n'; echo",
          ].join("; "),
        }),
      ),
      // Two writes with a pause between: two chunks of the command's output.
      reply(
        toolUse("bash", {
          command: `printf '%s' ${quoted(SECRET.slice(0, half))}; sleep 0.3; printf '%s\\n' ${quoted(SECRET.slice(half))}`,
        }),
      ),
      reply(toolUse("update_plan", { plan: [`Check ${FORMS.hex}`, "Make a.txt say two"] })),
      reply(editFile("a.txt", "one", "two")),
      reply(text("Changed a.txt.")),
      reply(
        text(
          `a.txt says two. Found ${FORMS["URL-encoded"]}, ${FORMS.reversed}, ${FORMS.HEX}, ${Buffer.concat([Buffer.from("x"), Buffer.from(SECRET)]).toString("base64")}.`,
        ),
      ),
    ]);
    await h.queue({ test: "sh check.sh" });
    const run = await h.execute(await h.claim(), {}, { progressIntervalMs: 0 });
    expect(run.state).toBe("succeeded");

    // The model saw the commands' output, with the secret in none of its forms.
    const requests = model.requests.map((r) => r.body.messages);
    expect(requests.length).toBeGreaterThanOrEqual(6);
    expect(JSON.stringify(requests[1])).toContain(REDACTED);
    expect(JSON.stringify(requests[2])).toContain(REDACTED);
    const leaked = requests.flatMap((m, i) => leaks(m).map((form) => `request ${i}: ${form}`));
    expect(leaked).toEqual([]);

    // GitHub: the pull request, the tracking comment, the check runs.
    const pull = h.github.pulls(OWNER, REPO)[0];
    expect(pull?.body).toContain("a.txt says two");
    expect(leaks(pull?.body)).toEqual([]);
    expect(leaks(h.github.issueComments(OWNER, REPO, 1).map((c) => c.body))).toEqual([]);
    expect(leaks(h.github.checkRuns(OWNER, REPO))).toEqual([]);

    // The audit log, and what the run's commits carry (only a.txt changed).
    expect(leaks(await h.store.audit.events(run.id))).toEqual([]);
    const log = execFileSync(
      "git",
      ["--git-dir", h.bare, "log", "-p", "main..stamina/1-make-it-two"],
      {
        encoding: "utf8",
      },
    );
    expect(leaks(log.replace(/^ .*$/gm, ""))).toEqual([]);
  }, 60_000);
});
