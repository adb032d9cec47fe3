// The audit digest at the top of the pull request's audit section: what the
// run did in numbers, the chain head a reader can check the log against, and
// whether an audit key signed it.
import { codeSpan, inlineText } from "./markdown.ts";
import { signedBy } from "./signing.ts";
import {
  addTokens,
  describeTokens,
  NO_TOKENS,
  tokenCountsOf,
  type TokenCounts,
} from "./tokens-text.ts";
import type { AuditEvent } from "./types.ts";

interface Tally {
  modelCalls: number;
  tokens: TokenCounts;
  toolCalls: number;
  commands: number;
  failedCommands: number;
  commits: number;
  pushes: number;
  githubWrites: number;
  retriedSteps: number;
}

/** A short Markdown digest of a run's events. */
export function renderDigest(events: readonly AuditEvent[]): string {
  const first = events[0];
  const last = events.at(-1);
  if (first === undefined || last === undefined) return "_No audit events were recorded._";
  const t = tally(events);
  const lines = [
    `- **Run** ${codeSpan(inlineText(first.run, 80))}: ${count(events.length, "event")}, ${span(first.ts, last.ts)}`,
    `- **Model calls** ${n(t.modelCalls)} (${describeTokens(t.tokens)})`,
    `- **Tool calls** ${n(t.toolCalls)}; **commands** ${n(t.commands)}, ${n(t.failedCommands)} with a non-zero exit or none`,
    `- **Commits** ${n(t.commits)}; **pushes** ${n(t.pushes)}; **GitHub writes** ${n(t.githubWrites)}`,
  ];
  if (t.retriedSteps > 0) lines.push(`- **Steps run again** after a restart: ${n(t.retriedSteps)}`);
  lines.push(`- **Chain head** \`${inlineText(last.hash, 64)}\` (seq ${last.seq})`);
  const keyId = signedBy(events);
  lines.push(
    keyId === null
      ? "- ⚠️ **Not signed**: no audit key signed this log, so whoever holds Stamina's database could rewrite it unnoticed. The operator signs logs by setting `STAMINA_AUDIT_KEY_PATH` to a key from `stamina audit key --generate FILE`."
      : `- **Signed** with audit key \`${keyId}\` at every commit: check with \`stamina audit verify FILE --key PUBLIC\``,
  );
  return lines.join("\n");
}

function tally(events: readonly AuditEvent[]): Tally {
  const t: Tally = {
    modelCalls: 0,
    tokens: NO_TOKENS,
    toolCalls: 0,
    commands: 0,
    failedCommands: 0,
    commits: 0,
    pushes: 0,
    githubWrites: 0,
    retriedSteps: 0,
  };
  for (const { type, data } of events) {
    if (type === "model.response") {
      t.modelCalls += 1;
      t.tokens = addTokens(t.tokens, tokenCountsOf(data.usage));
    }
    if (type === "tool.call") t.toolCalls += 1;
    // Commands: the harness's own (setup, verify) and the agent's through a tool (bash).
    if (type === "command" || (type === "tool.result" && "exitCode" in data)) {
      t.commands += 1;
      if (data.exitCode !== 0 || data.timedOut === true) t.failedCommands += 1;
    }
    if (type === "git.commit") t.commits += 1;
    if (type === "git.push") t.pushes += 1;
    if (type === "github.write") t.githubWrites += 1;
    if (type === "step.retried") t.retriedSteps += 1;
  }
  return t;
}

function n(value: number): string {
  return value.toLocaleString("en-US");
}

function count(value: number, noun: string): string {
  return `${n(value)} ${noun}${value === 1 ? "" : "s"}`;
}

/** When the run went, in UTC: `2026-05-01 09:12 → 11:40 UTC`, or two dates when it spans days. */
function span(fromTs: string, toTs: string): string {
  const from = new Date(fromTs);
  const to = new Date(toTs);
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) return "times unknown";
  const [fromDay, fromTime] = [from.toISOString().slice(0, 10), from.toISOString().slice(11, 16)];
  const [toDay, toTime] = [to.toISOString().slice(0, 10), to.toISOString().slice(11, 16)];
  const end = toDay === fromDay ? toTime : `${toDay} ${toTime}`;
  return `${fromDay} ${fromTime} → ${end} UTC`;
}
