// What replaces the dropped middle of the transcript: the first message of every view, which
// carries the task as it was given (or points to the system prompt, when that carries it), and
// after a compaction the summary, the plan and the progress file. The deterministic summary needs no model call: it is what an overflow
// falls back on, built from the run's state and the dropped messages alone.
import type Anthropic from "@anthropic-ai/sdk";
import type { AgentSnapshot, PlanItem } from "../ports.ts";
import { blocksOf, filesTouched, textOfBlocks, toolNames, type Message } from "./transcript.ts";

const MARK: Record<PlanItem["status"], string> = {
  done: "[x]",
  in_progress: "[~]",
  pending: "[ ]",
};

export function planText(plan: readonly PlanItem[]): string {
  if (plan.length === 0) return "(no plan written yet)";
  return plan.map((item) => `${MARK[item.status]} ${item.step}`).join("\n");
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)} …`;
}

function describeInput(input: unknown): string {
  const json = JSON.stringify(input) ?? "";
  return clip(json, 160);
}

/**
 * A structured summary with no model call: goal, constraints, done, in progress, blocked,
 * decisions, next steps and files touched, from the state and the messages being dropped.
 */
export function deterministicSummary(
  task: string,
  dropped: readonly Message[],
  whole: readonly Message[],
  state: Readonly<AgentSnapshot>,
  previous: string | null,
): string {
  const names = toolNames(dropped);
  const actions: string[] = [];
  const failures: string[] = [];
  const notes: string[] = [];
  for (const message of dropped) {
    for (const block of blocksOf(message)) {
      if (block.type === "tool_use") actions.push(`${block.name} ${describeInput(block.input)}`);
      if (block.type === "tool_result" && block.is_error === true) {
        const output = typeof block.content === "string" ? block.content : "";
        failures.push(`${names.get(block.tool_use_id) ?? "tool"}: ${clip(output, 200)}`);
      }
    }
    if (message.role === "assistant") {
      const text = textOfBlocks(message);
      if (text !== "") notes.push(clip(text, 400));
    }
  }
  const verification = state.verification;
  const plan = state.plan;
  const list = (items: string[], none: string) =>
    items.length > 0 ? items.map((i) => `- ${i}`).join("\n") : `- ${none}`;
  return [
    "## Goal",
    clip(task, 1_500),
    "## Constraints",
    "- The system prompt's rules and the issue above still hold.",
    "## Done",
    list(
      plan.filter((p) => p.status === "done").map((p) => p.step),
      "nothing marked done in the plan yet",
    ),
    "## In progress",
    list(
      plan.filter((p) => p.status === "in_progress").map((p) => p.step),
      "nothing marked in progress",
    ),
    "## Blocked",
    list(failures.slice(-8), "no failing tool call in the compacted part"),
    "## Decisions",
    list(notes.slice(-5), "none written down"),
    "## Next steps",
    list(
      plan.filter((p) => p.status === "pending").map((p) => p.step),
      "continue from the last messages below",
    ),
    "## Files touched",
    list(filesTouched(whole), "none yet"),
    "## Last actions before this summary",
    list(actions.slice(-15), "none"),
    ...(verification
      ? [
          "## Last verification",
          `${verification.passed ? "passed" : "failed"} (${verification.checks.map((c) => `${c.name}: ${c.passed ? "ok" : "failed"}`).join(", ") || "no checks"})`,
        ]
      : []),
    ...(previous ? ["## Earlier summary", clip(previous, 6_000)] : []),
  ].join("\n");
}

export interface HeaderParts {
  /**
   * The first message as the view opens with it: the task as given, or, when the system prompt
   * carries the task (the API compacts, and drops what came before), a pointer to it.
   */
  opening: Message;
  summary: string | null;
  /** The plan as it stood when the summary was written (the tail holds any later update_plan). */
  plan: string;
  progress: string | null;
}

/**
 * The view's first message: the opening, then (after a compaction or on resume) the progress
 * file, the summary and the plan it was written with, each in a block of its own. It changes only
 * when the view is compacted, so its prefix stays cached.
 */
export function headerMessage(parts: HeaderParts): Message {
  const blocks: Anthropic.TextBlockParam[] = blocksOf(parts.opening).filter(
    (b): b is Anthropic.TextBlockParam => b.type === "text",
  );
  if (parts.progress !== null) {
    blocks.push({
      type: "text",
      text: `<progress_file>\n${parts.progress}\n</progress_file>\nThis is the run's progress file, kept outside the conversation: read it first.`,
    });
  }
  if (parts.summary !== null) {
    blocks.push({
      type: "text",
      text: `<summary_of_earlier_work>\n${parts.summary}\n</summary_of_earlier_work>\n<plan_at_summary>\n${parts.plan}\n</plan_at_summary>\nThe conversation before this point was compacted into the summary above; the messages after it are the latest ones, in full (a later update_plan among them replaces the plan above).`,
    });
  }
  if (blocks.length === 1 && typeof parts.opening.content === "string") return parts.opening;
  return { role: "user", content: blocks };
}
