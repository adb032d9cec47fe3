// Builds real audit chains for the tests: events made by appendEvent, with the
// data shapes the agent loop and the run executor record.
import { appendEvent } from "../../src/audit/chain.ts";
import type { AuditEntry, AuditEvent } from "../../src/audit/types.ts";

const START = Date.parse("2026-03-02T09:00:00.000Z");

/** Chains `entries` into run `run`, one second apart from 09:00:00 UTC. */
export function chain(entries: AuditEntry[], run = "run-1"): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (const [i, entry] of entries.entries()) {
    const ts = new Date(START + i * 1000).toISOString();
    events.push(appendEvent(events.at(-1), run, entry, ts));
  }
  return events;
}

/** The i-th event of a plausible run: model turns, tool calls, commands, in rotation. */
export function sampleEntry(i: number): AuditEntry {
  const step = Math.floor(i / 4) + 1;
  switch (i % 4) {
    case 0:
      return { type: "model.request", data: { step, model: "claude-sonnet-5-5", messages: i + 1 } };
    case 1:
      return {
        type: "model.response",
        data: {
          step,
          stopReason: "tool_use",
          usage: { input_tokens: 1000 + i, output_tokens: 10 },
          text: `Running the tests for step ${step}.`,
          toolCalls: [{ id: `toolu_${i}`, name: "bash" }],
        },
      };
    case 2:
      return {
        type: "tool.call",
        data: { step, id: `toolu_${i}`, name: "bash", input: { command: "npm test" } },
      };
    default:
      return {
        type: "tool.result",
        data: {
          step,
          id: `toolu_${i}`,
          name: "bash",
          isError: false,
          output: "ok",
          exitCode: i % 8 === 3 ? 1 : 0,
        },
      };
  }
}

export function sampleRun(count: number, run = "run-1"): AuditEvent[] {
  return chain(
    Array.from({ length: count }, (_, i) => sampleEntry(i)),
    run,
  );
}
