// What `stamina run` and `stamina replay` print while a session goes: a line
// for each thing worth watching (the model's turns, tool calls, failed tools,
// phases, checks, commits, budgets), and the plan when it changes. Plain text
// for a terminal, not the Markdown-safe text GitHub gets: what the model wrote
// shows as it wrote it, minus control characters.
import { describePhase } from "../agent/phase.ts";
import type { PlanItem, ProgressPort } from "../agent/ports.ts";
import { plainLine } from "../audit/markdown.ts";
import { summarizeEvent } from "../audit/summarize.ts";
import type { AuditEvent } from "../audit/types.ts";

export interface Out {
  write(text: string): unknown;
}

const SHOWN: Record<string, string> = {
  "model.response": "model",
  "model.retry": "model",
  "tool.call": "  tool",
  "verify.result": "checks",
  "verify.reused": "checks",
  "budget.exhausted": "budget",
  "git.commit": "git",
  command: "command",
  "hook.note": "note",
};

export interface Reporter {
  onEvent: (e: AuditEvent) => void;
  progress: ProgressPort;
}

export function createReporter(out: Out): Reporter {
  const line = (label: string, text: string) => out.write(`${label.padEnd(7)} ${text}\n`);
  return {
    onEvent(e) {
      const label = SHOWN[e.type];
      if (label !== undefined) {
        // Agent checks run through run_checks show as the tool's result.
        if (e.type === "command" && e.data.purpose === "check") return;
        line(label, summarizeEvent(e, { plain: true }));
      } else if (
        e.type === "tool.result" &&
        (e.data.isError === true || isFailure(e.data.exitCode))
      ) {
        line("  failed", summarizeEvent(e, { plain: true }));
      }
    },
    progress: {
      plan(items: PlanItem[]) {
        const done = items.filter((i) => i.status === "done").length;
        line("plan", `${items.length} step${items.length === 1 ? "" : "s"}, ${done} done`);
        for (const item of items) {
          const mark = item.status === "done" ? "x" : item.status === "in_progress" ? "~" : " ";
          out.write(`          [${mark}] ${plainLine(item.step, 200)}\n`);
        }
        return Promise.resolve();
      },
      phase(phase) {
        line("now", describePhase(phase));
        return Promise.resolve();
      },
    },
  };
}

function isFailure(code: unknown): boolean {
  return typeof code === "number" && code !== 0;
}
