// Checks that every tool_use is answered by a tool_result in the next user turn, and no tool_result is orphaned.
import type Anthropic from "@anthropic-ai/sdk";
import type { Refusal } from "./refusal.ts";
import { invalidRequest } from "./refusal.ts";

/** A block with the index of the request message it came from, for error paths. */
interface PlacedBlock {
  message: number;
  index: number;
  block: Anthropic.ContentBlockParam;
}

/** Consecutive messages of one role, which the API merges into a single turn. */
interface Turn {
  role: "user" | "assistant";
  firstMessage: number;
  blocks: PlacedBlock[];
}

function blocksOf(content: Anthropic.MessageParam["content"]): Anthropic.ContentBlockParam[] {
  return typeof content === "string" ? [{ type: "text", text: content }] : content;
}

/** Merges consecutive same-role messages; system-role messages sit outside the turn order. */
function turnsOf(messages: readonly Anthropic.MessageParam[]): Turn[] {
  const turns: Turn[] = [];
  messages.forEach((message, m) => {
    if (message.role === "system") return;
    const placed = blocksOf(message.content).map((block, index) => ({ message: m, index, block }));
    const last = turns.at(-1);
    if (last?.role === message.role) last.blocks.push(...placed);
    else turns.push({ role: message.role, firstMessage: m, blocks: placed });
  });
  return turns;
}

function toolUses(turn: Turn): Array<{ id: string; message: number }> {
  return turn.blocks.flatMap(({ block, message }) =>
    block.type === "tool_use" ? [{ id: block.id, message }] : [],
  );
}

function toolResults(turn: Turn): Array<PlacedBlock & { id: string }> {
  return turn.blocks.flatMap((placed) =>
    placed.block.type === "tool_result" ? [{ ...placed, id: placed.block.tool_use_id }] : [],
  );
}

function leadingToolResults(turn: Turn): number {
  const firstOther = turn.blocks.findIndex(({ block }) => block.type !== "tool_result");
  return firstOther === -1 ? turn.blocks.length : firstOther;
}

function checkOrphans(turn: Turn, previous: Turn | undefined): Refusal | undefined {
  const asked = new Set(previous?.role === "assistant" ? toolUses(previous).map((u) => u.id) : []);
  const orphan = toolResults(turn).find((r) => !asked.has(r.id));
  if (orphan === undefined) return undefined;
  return invalidRequest(
    `messages.${orphan.message}.content.${orphan.index}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${orphan.id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
  );
}

function checkAnswered(turn: Turn, next: Turn | undefined): Refusal | undefined {
  const uses = toolUses(turn);
  if (uses.length === 0) return undefined;
  const answered = new Set(next?.role === "user" ? toolResults(next).map((r) => r.id) : []);
  const missing = uses.filter((u) => !answered.has(u.id));
  const first = missing[0];
  if (first !== undefined) {
    return invalidRequest(
      `messages.${first.message}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.map((u) => u.id).join(", ")}. Each \`tool_use\` block must have a corresponding \`tool_result\` block in the next message.`,
    );
  }
  if (next !== undefined && leadingToolResults(next) < uses.length) {
    return invalidRequest(
      `messages.${next.firstMessage}: Did not find ${uses.length} tool_result block(s) at the beginning of this message. Messages following tool_use blocks must begin with a matching number of tool_result blocks.`,
    );
  }
  return undefined;
}

/** The first pairing error in message order, as the API reports it; undefined when all pair up. */
export function checkToolPairing(messages: readonly Anthropic.MessageParam[]): Refusal | undefined {
  const turns = turnsOf(messages);
  for (const [t, turn] of turns.entries()) {
    const refusal =
      turn.role === "user" ? checkOrphans(turn, turns[t - 1]) : checkAnswered(turn, turns[t + 1]);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}
