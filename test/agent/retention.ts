// What a long session's prompt must carry whole, turn after turn, for the tokens benchmark's
// retention figure: the issue, the repository's instructions, the current plan and the last 6
// tool results. It is judged on the prompt as the model read it, after the server's clearing and
// compaction, from what the scripted server recorded; what the requests sent says what there was
// to carry (the plan the model last wrote, the results as the tools returned them).
import type Anthropic from "@anthropic-ai/sdk";
import { planText } from "../../src/agent/context/compaction.ts";
import type { PlanItem } from "../../src/agent/ports.ts";
import type { RecordedModelRequest } from "../support/model-server/index.ts";

/** The tool results every turn should carry whole: the last this many. */
const RETAINED_RESULTS = 6;

interface Expected {
  plan: { id: string; items: PlanItem[] } | undefined;
  results: Array<{ id: string; content: string }>;
}

/** Follows a session's requests in order: the plans written and the results returned so far. */
export class Retention {
  private readonly plans: Array<{ id: string; items: PlanItem[] }> = [];
  private readonly results: Array<{ id: string; content: string }> = [];
  private readonly seen = new Set<string>();

  /** A request's messages as sent: a call or result not seen before is the newest one. */
  saw(messages: readonly Anthropic.MessageParam[]): void {
    for (const message of messages) {
      if (typeof message.content === "string") continue;
      for (const block of message.content) {
        if (block.type === "tool_use" && block.name === "update_plan" && !this.seen.has(block.id)) {
          this.seen.add(block.id);
          const input = block.input as { plan?: PlanItem[] };
          this.plans.push({ id: block.id, items: input.plan ?? [] });
        }
        if (block.type === "tool_result" && !this.seen.has(`result:${block.tool_use_id}`)) {
          this.seen.add(`result:${block.tool_use_id}`);
          this.results.push({ id: block.tool_use_id, content: JSON.stringify(block.content) });
        }
      }
    }
  }

  expected(): Expected {
    return { plan: this.plans.at(-1), results: this.results.slice(-RETAINED_RESULTS) };
  }
}

/**
 * The prompt's text as the model reads it. A compaction block's summary is left out: the scripted
 * server's summary is a stand-in for the model's, so what it happens to quote proves nothing.
 */
function readText(system: unknown, messages: readonly Anthropic.MessageParam[]): string {
  const parts: string[] = [];
  if (typeof system === "string") parts.push(system);
  else if (Array.isArray(system))
    for (const b of system as Array<{ text?: string }>) parts.push(b.text ?? "");
  for (const message of messages) {
    if (typeof message.content === "string") {
      parts.push(message.content);
      continue;
    }
    for (const block of message.content) {
      if (block.type === "text") parts.push(block.text);
      else if (block.type === "tool_use") parts.push(JSON.stringify(block.input));
      else if (block.type === "tool_result") {
        const content = block.content;
        if (typeof content === "string") parts.push(content);
        else for (const inner of content ?? []) if (inner.type === "text") parts.push(inner.text);
      }
    }
  }
  return parts.join("\n");
}

function blocksOf(messages: readonly Anthropic.MessageParam[]): Anthropic.ContentBlockParam[] {
  return messages.flatMap((m) => (typeof m.content === "string" ? [] : m.content));
}

/** Whether the prompt the model read carries the issue, the instructions, the plan and results whole. */
export function carriesWhole(
  request: RecordedModelRequest,
  expected: Expected,
  texts: { issue: string; instructions: string },
): boolean {
  const read = request.read;
  if (read === undefined) return false;
  const text = readText(read.system, read.messages);
  if (!text.includes(texts.issue) || !text.includes(texts.instructions)) return false;
  const blocks = blocksOf(read.messages);
  const plan = expected.plan;
  if (plan !== undefined) {
    const asCalled = blocks.some(
      (b) =>
        b.type === "tool_use" &&
        b.id === plan.id &&
        JSON.stringify((b.input as { plan?: unknown }).plan) === JSON.stringify(plan.items),
    );
    if (!asCalled && !text.includes(planText(plan.items))) return false;
  }
  return expected.results.every((result) =>
    blocks.some(
      (b) =>
        b.type === "tool_result" &&
        b.tool_use_id === result.id &&
        JSON.stringify(b.content) === result.content,
    ),
  );
}
