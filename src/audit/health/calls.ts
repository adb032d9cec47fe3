// The agent's tool calls as the charts see them: each `tool.call` joined to its `tool.result` by
// the call's id, with the step, whether it failed and what it read.
import { readsOf } from "./reads.ts";
import { num, record, type SteppedEvent } from "./steps.ts";

export interface ToolCall {
  step: number;
  name: string;
  input: unknown;
  /** A tool error, a command exiting non-zero (but a search that found nothing), failing checks. */
  failed: boolean;
  /** What it read (reads.ts): empty for a call that is not a read or failed. */
  reads: string[];
}

/** Commands whose exit code 1 with no output means "no match", not an error (as the watchdog). */
const SEARCH =
  /^(?:\S+=\S*\s+)*(?:command\s+)?(?:grep|egrep|fgrep|zgrep|rg|git(?:\s+-\S+)*\s+grep)\b/;

function foundNothing(name: string, input: unknown, result: Record<string, unknown>): boolean {
  const command = record(input).command;
  if (name !== "bash" || typeof command !== "string") return false;
  const last = (command.split(/&&|\|\||;|\n/).at(-1) ?? "").trim();
  return (
    result.exitCode === 1 && result.totalBytes === 0 && !last.includes("|") && SEARCH.test(last)
  );
}

/** The calls that have a result, in the order they ran (a call cut off by a crash has none). */
export function toolCalls(events: readonly SteppedEvent[]): ToolCall[] {
  const asked = new Map<string, SteppedEvent>();
  const calls: ToolCall[] = [];
  for (const event of events) {
    const id = event.data.id;
    if (typeof id !== "string") continue;
    if (event.type === "tool.call") asked.set(id, event);
    if (event.type !== "tool.result") continue;
    const call = asked.get(id);
    asked.delete(id);
    const name = typeof event.data.name === "string" ? event.data.name : "";
    const input = call?.data.input;
    const exit = num(event.data.exitCode);
    const isError = event.data.isError === true;
    const failed =
      isError ||
      (exit !== undefined && exit !== 0 && !foundNothing(name, input, event.data)) ||
      event.data.passed === false;
    calls.push({
      step: event.step,
      name,
      input,
      failed,
      reads: readsOf({ name, input, isError, exitCode: event.data.exitCode }),
    });
  }
  return calls;
}

/** The calls of each step, in their order: what a chart walks step by step in one pass. */
export function callsByStep(calls: readonly ToolCall[]): ReadonlyMap<number, readonly ToolCall[]> {
  const by = new Map<number, ToolCall[]>();
  for (const call of calls) {
    const list = by.get(call.step);
    if (list === undefined) by.set(call.step, [call]);
    else list.push(call);
  }
  return by;
}
