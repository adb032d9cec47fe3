// A recorded run's audit log of a given number of steps, with the events and sizes a real run
// records per step (src/agent/turn.ts, context/health.ts): the request, the response with its
// text and usage, a tool call (a command, a view or an edit, in turn) with its output, and the
// step's context health. Every tenth step sets the plan, every fiftieth commits.
import type { AuditEntry } from "../src/audit/types.ts";

const OUTPUT = "PASS test/greet.test.js (12 ms)\n  ✓ greets with a comma\n".repeat(20);
const TEXT = "I will look at the failing test and change greet() so it says Hello, NAME!. ".repeat(
  5,
);

export function recordedSteps(steps: number): AuditEntry[] {
  const entries: AuditEntry[] = [
    {
      type: "agent.start",
      data: { model: "claude-sonnet-5-5", maxSteps: steps, task: "Fix greet()" },
    },
  ];
  for (let step = 1; step <= steps; step++) {
    const id = `toolu_${step}`;
    const usage = {
      input_tokens: 2000 + step * 10,
      output_tokens: 150,
      cache_read_input_tokens: 1500,
    };
    const tool =
      step % 10 === 1
        ? {
            name: "update_plan",
            input: { plan: [{ step: `Step ${step}`, status: "in_progress" }] },
          }
        : step % 3 === 0
          ? { name: "bash", input: { command: `npm test -- --grep case-${step}` } }
          : step % 3 === 1
            ? {
                name: "str_replace_based_edit_tool",
                input: { command: "view", path: `src/file-${step % 40}.js` },
              }
            : {
                name: "str_replace_based_edit_tool",
                input: {
                  command: "str_replace",
                  path: "greet.js",
                  old_str: `v${step - 1}`,
                  new_str: `v${step}`,
                },
              };
    entries.push(
      { type: "model.request", data: { step, messages: step * 2, model: "claude-sonnet-5-5" } },
      {
        type: "model.response",
        data: {
          step,
          stopReason: "tool_use",
          usage,
          cost: 0.003,
          text: TEXT,
          toolCalls: [{ id, name: tool.name }],
        },
      },
      { type: "tool.call", data: { step, id, ...tool } },
      {
        type: "tool.result",
        data: {
          step,
          id,
          name: tool.name,
          isError: step % 17 === 0,
          exitCode: step % 17 === 0 ? 1 : 0,
          output: OUTPUT,
        },
      },
      {
        type: "context.health",
        data: {
          step,
          sent: {
            unit: "bytes of JSON; tokens estimated as bytes / 4",
            bytes: 8000 + step * 40,
            estimatedTokens: 2000 + step * 10,
            messages: step * 2,
          },
          tokens: { input: 2000 + step * 10, output: 150, cacheRead: 1500, cacheWrite: 0 },
          tools: { calls: 1, errors: step % 17 === 0 ? 1 : 0 },
          compactions: Math.floor(step / 500),
          clearings: Math.floor(step / 100),
        },
      },
    );
    if (step % 50 === 0)
      entries.push({
        type: "git.commit",
        data: { sha: step.toString(16).padStart(40, "0"), reason: "checkpoint" },
      });
  }
  return entries;
}
