// One event in a few words: what the timeline on the pull request and the
// check runs show for it. Built per type from the fields the writers record
// (see src/agent/loop.ts and src/runs/execute-run.ts), so a reader sees the
// command and its exit code, the tool and its input, the commit, not raw JSON.
import { inlineText, plainLine } from "./markdown.ts";
import { describeTokens, tokenCountsOf } from "./tokens-text.ts";
import type { AuditEvent } from "./types.ts";

/** A summary's length on its own; the timeline may cut it further to fit its line. */
const SUMMARY_MAX = 200;

type Data = Record<string, unknown>;

const SUMMARIES: Record<string, (d: Data) => string> = {
  "run.claimed": (d) =>
    join([`attempt ${num(d.attempt)}`, d.version && `Stamina ${str(d.version)}`]),
  "run.finished": (d) => join([str(d.state), str(d.outcome)], ": "),
  "audit.signed": (d) => `head ${str(d.head).slice(0, 12)}… signed by the audit key`,
  "agent.start": (d) =>
    join([str(d.model), d.maxSteps !== undefined && `up to ${num(d.maxSteps)} steps`]),
  "agent.stop": (d) =>
    join([
      join([str(d.stop), d.steps !== undefined && `after ${num(d.steps)} steps`]),
      str(d.budget),
    ]),
  "agent.phase": (d) => join([step(d), `${str(d.from)} → ${str(d.to)}`]),
  "budget.exhausted": (d) => str(d.message),
  "model.request": (d) =>
    join([step(d), d.messages !== undefined && `${num(d.messages)} messages`, str(d.model)]),
  "model.response": (d) => {
    const usage = record(d.usage);
    const calls = Array.isArray(d.toolCalls) ? d.toolCalls.map((c) => str(record(c).name)) : [];
    const facts = join(
      [
        join([step(d), d.stopReason !== undefined && `stop ${str(d.stopReason)}`]),
        // All the input, the part the prompt cache served included: "0 in" for a cached call says nothing.
        usage.input_tokens !== undefined && describeTokens(tokenCountsOf(usage)),
        calls.length > 0 && `calls ${calls.join(", ")}`,
      ],
      "; ",
    );
    return join([facts, str(d.text)], ": ");
  },
  "model.retry": (d) =>
    join([
      step(d),
      `retry ${num(d.attempt)}`,
      join([str(d.status), str(d.errorType)]) || "no answer",
      typeof d.waitMs === "number" && `waiting ${(d.waitMs / 1000).toFixed(1)} s`,
    ]),
  "tool.call": (d) => join([str(d.name), inputSummary(d.input)], ": "),
  "tool.result": (d) => {
    const facts = join([
      str(d.name),
      d.isError === true ? "error" : "ok",
      d.exitCode !== undefined && exit(d.exitCode),
      d.timedOut === true && "timed out",
    ]);
    return join([facts, firstLine(d.output)], ": ");
  },
  command: (d) =>
    join([
      join(
        [join([str(d.purpose), d.check !== undefined && `(${str(d.check)})`]), str(d.command)],
        ": ",
      ),
      `→ ${d.timedOut === true ? "timed out" : exit(d.exitCode)}`,
      typeof d.durationMs === "number" && `in ${(d.durationMs / 1000).toFixed(1)} s`,
    ]),
  "verify.result": (d) => {
    // One command and its exit code (older logs), or the checks by name.
    if (!Array.isArray(d.checks)) {
      return join([
        str(d.command),
        d.passed === true ? "passed" : "failed",
        `(${exit(d.exitCode)})`,
      ]);
    }
    const checks = d.checks.map((c) => {
      const r = record(c);
      return `${str(r.name)} ${r.passed === true ? "ok" : r.skipped !== undefined ? "skipped" : exit(r.exitCode)}`;
    });
    return join([
      str(d.phase),
      d.configured === false ? "no checks configured" : d.passed === true ? "passed" : "failed",
      checks.length > 0 && `(${checks.join(", ")})`,
    ]);
  },
  "verify.reused": (d) =>
    join([
      str(d.phase),
      "unchanged since",
      str(d.verifiedIn),
      d.passed === true ? "(passed)" : "(failed)",
    ]),
  "verify.skipped": (d) => str(d.reason),
  "verify.baseline": (d) =>
    Array.isArray(d.failing) && d.failing.length > 0
      ? `on the base commit, failing before any change: ${d.failing.map(str).join(", ")}`
      : d.configured === false
        ? "no checks configured"
        : "on the base commit: all passed",
  "verify.flaky": (d) =>
    join([Array.isArray(d.flaky) ? d.flaky.map(str).join(", ") : "", "flaky:", str(d.reason)]),
  "agent.cannot_fix": (d) => join([`by the ${str(d.by)}:`, str(d.reason)]),
  "git.clone": (d) => join([str(d.url), str(d.branch), d.sha !== undefined && `at ${sha(d.sha)}`]),
  "git.branch": (d) => join([str(d.branch), d.base !== undefined && `from ${sha(d.base)}`]),
  "git.commit": (d) =>
    join([`commit ${sha(d.sha)}`, d.reason !== undefined && `(${str(d.reason)})`]),
  "git.push": (d) => join([str(d.branch), d.sha !== undefined && `at ${sha(d.sha)}`]),
  "git.secret_scan": (d) => {
    const findings = Array.isArray(d.findings) ? (d.findings as Record<string, unknown>[]) : [];
    const where = findings
      .slice(0, 3)
      .map((f) => `${str(f.kind)} in ${str(f.path)}:${num(f.line)}`);
    return join([
      str(d.result),
      d.approvedBy !== undefined && `by ${str(d.approvedBy)}`,
      where.length > 0 && `(${where.join(", ")})`,
    ]);
  },
  "git.push_refused": (d) => join([str(d.branch), str(d.reason)]),
  "github.write": (d) =>
    join([
      str(d.op),
      d.number !== undefined && `#${num(d.number)}`,
      d.commentId !== undefined && `comment ${num(d.commentId)}`,
      d.draft === true && "(draft)",
    ]),
  "step.retried": (d) => join([step(d), str(d.reason)]),
  "hook.note": (d) => join([step(d), str(d.hook), str(d.note)]),
  "hook.failed": (d) => join([step(d), str(d.hook), str(d.error)]),
};

/**
 * A one-line summary of `e` (at most SUMMARY_MAX characters): Markdown-safe for GitHub, or, with
 * `plain`, as written, for a terminal (control characters dropped either way).
 */
export function summarizeEvent(e: AuditEvent, options: { plain?: boolean } = {}): string {
  const summarize = Object.hasOwn(SUMMARIES, e.type) ? SUMMARIES[e.type] : undefined;
  const text = summarize ? summarize(e.data) : fields(e.data);
  return options.plain === true ? plainLine(text, SUMMARY_MAX) : inlineText(text, SUMMARY_MAX);
}

/** What a tool was asked to do: the command or path where there is one, else its fields. */
function inputSummary(input: unknown): string {
  const d = record(input);
  const named = join([str(d.command), str(d.path)]);
  return named || fields(d);
}

/** `key=value` for an event type with no summary of its own; nested values shown by shape. */
function fields(d: Data): string {
  const parts: string[] = [];
  let length = 0;
  for (const [key, value] of Object.entries(d)) {
    if (length > SUMMARY_MAX) break;
    const shown = Array.isArray(value)
      ? `[${value.length}]`
      : typeof value === "object" && value !== null
        ? "{…}"
        : str(value).slice(0, 80);
    parts.push(`${key}=${shown}`);
    length += key.length + shown.length + 2;
  }
  return parts.join(", ");
}

/** Joins the parts that are present (non-empty strings). */
function join(parts: unknown[], separator = " "): string {
  return parts.filter((p): p is string => typeof p === "string" && p.length > 0).join(separator);
}

function str(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return "";
}

function num(value: unknown): string {
  return typeof value === "number" ? String(value) : "?";
}

function exit(code: unknown): string {
  return typeof code === "number" ? `exit ${code}` : "no exit code";
}

function sha(value: unknown): string {
  return str(value).slice(0, 12) || "?";
}

function step(d: Data): string | false {
  return d.step !== undefined && `step ${num(d.step)}`;
}

function firstLine(value: unknown): string {
  const text = str(value).trimStart();
  const end = text.indexOf("\n");
  return end === -1 ? text : text.slice(0, end);
}

function record(value: unknown): Data {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Data)
    : {};
}
