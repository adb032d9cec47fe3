// Server-side context management as the beta API runs it: the request's edits checked against
// the model and the betas, then applied to the prompt the model reads (the request as sent is
// recorded untouched). Messages before the last compaction block are dropped; old tool results
// are cleared (`clear_tool_uses_20250919`); past its trigger, the prompt is compacted into a
// `compaction` block that opens the answer (`compact_20260112`), read whole by a compaction
// iteration of its own that the answer bills (see message.ts). The prompt that is left must fit
// the model's context window, or the request is refused as too long, as the API refuses it.
import type Anthropic from "@anthropic-ai/sdk";
import { COMPACTION_BETA, type FamilyCapabilities } from "./families.ts";
import { promptBlocks, totalTokens, type PromptBlock } from "./prompt-cache.ts";
import type { Refusal } from "./refusal.ts";
import { invalidRequest } from "./refusal.ts";

type Edit = Anthropic.Beta.BetaContextManagementConfig extends { edits?: Array<infer E> }
  ? E
  : never;
type ClearEdit = Extract<Edit, { type: "clear_tool_uses_20250919" }>;
type CompactEdit = Extract<Edit, { type: "compact_20260112" }>;

const CLEARED_PLACEHOLDER = "[This tool result was cleared to save context.]";
const CLEAR_DEFAULT_TRIGGER = 100_000;
const CLEAR_DEFAULT_KEEP = 3;
const COMPACT_DEFAULT_TRIGGER = 150_000;
const COMPACT_MIN_TRIGGER = 50_000;

export interface AppliedEdit {
  type: string;
  cleared_tool_uses?: number;
  cleared_input_tokens: number;
}

export interface ManagedPrompt {
  /** What the model reads, in blocks, for the cache and the usage. */
  blocks: PromptBlock[];
  /** The messages the model reads, after the edits (the tools and system are as sent). */
  messages: Anthropic.MessageParam[];
  applied: AppliedEdit[];
  /** The summary that opens the answer, when this request was compacted. */
  compaction?: string;
  /**
   * The tokens of the prompt the compaction iteration read: the whole prompt as it stood when
   * the trigger was reached (tools, system and every message after the edits before it).
   */
  compactedTokens?: number;
}

function editsOf(params: Anthropic.MessageCreateParams): Edit[] {
  const config = (params as { context_management?: Anthropic.Beta.BetaContextManagementConfig })
    .context_management;
  return config?.edits ?? [];
}

function hasCompactionBlock(messages: readonly Anthropic.MessageParam[]): boolean {
  return messages.some(
    (m) => Array.isArray(m.content) && m.content.some((b) => (b.type as string) === "compaction"),
  );
}

/** The refusal the API gives for edits the model or the betas do not allow. */
export function checkEdits(
  params: Anthropic.MessageCreateParams,
  betas: readonly string[],
  family: FamilyCapabilities,
): Refusal | undefined {
  for (const [i, edit] of editsOf(params).entries()) {
    const where = `context_management.edits.${i}`;
    if (edit.type === "clear_tool_uses_20250919") {
      if (!family.clearToolUses) {
        return invalidRequest(
          `${where}: clear_tool_uses_20250919 is not supported on ${params.model}`,
        );
      }
    } else if (edit.type === "compact_20260112") {
      if (!betas.includes(COMPACTION_BETA)) {
        return invalidRequest(`${where}: compact_20260112 requires the ${COMPACTION_BETA} beta`);
      }
      if (!family.compaction) {
        return invalidRequest(`${where}: compact_20260112 is not supported on ${params.model}`);
      }
      const trigger = edit.trigger?.value;
      if (trigger !== undefined && trigger < COMPACT_MIN_TRIGGER) {
        return invalidRequest(`${where}.trigger.value: must be at least ${COMPACT_MIN_TRIGGER}`);
      }
    } else if (edit.type !== "clear_thinking_20251015") {
      return invalidRequest(`${where}.type: unknown edit ${(edit as { type: string }).type}`);
    }
  }
  if (hasCompactionBlock(params.messages) && !betas.includes(COMPACTION_BETA)) {
    return invalidRequest(`messages: compaction blocks require the ${COMPACTION_BETA} beta`);
  }
  return undefined;
}

/** The messages from the last compaction block on, which the API reads instead of the rest. */
function afterCompaction(messages: readonly Anthropic.MessageParam[]): Anthropic.MessageParam[] {
  for (let m = messages.length - 1; m >= 0; m--) {
    const content = messages[m]!.content;
    if (typeof content === "string") continue;
    const at = content.findLastIndex(
      (b) => (b.type as string) === "compaction" && (b as { content?: unknown }).content != null,
    );
    if (at >= 0) {
      const kept = { ...messages[m]!, content: content.slice(at) } as Anthropic.MessageParam;
      return [kept, ...messages.slice(m + 1)];
    }
  }
  return [...messages];
}

/** Clears old tool results in place, when over the trigger and when it saves enough. */
function clearToolUses(
  messages: Anthropic.MessageParam[],
  edit: ClearEdit,
  measure: (messages: readonly Anthropic.MessageParam[]) => number,
): AppliedEdit | undefined {
  const trigger = edit.trigger ?? { type: "input_tokens", value: CLEAR_DEFAULT_TRIGGER };
  const keep = edit.keep?.value ?? CLEAR_DEFAULT_KEEP;
  const excluded = new Set(edit.exclude_tools ?? []);
  const names = new Map<string, string>();
  const results: Array<{ m: number; b: number }> = [];
  messages.forEach((message, m) => {
    if (typeof message.content === "string") return;
    message.content.forEach((block, b) => {
      if (block.type === "tool_use") names.set(block.id, block.name);
      if (block.type === "tool_result") results.push({ m, b });
    });
  });
  const before = measure(messages);
  const over =
    trigger.type === "input_tokens" ? before > trigger.value : results.length > trigger.value;
  if (!over) return undefined;
  const edited = messages.map(
    (message) =>
      ({
        ...message,
        content: typeof message.content === "string" ? message.content : [...message.content],
      }) as Anthropic.MessageParam,
  );
  let cleared = 0;
  for (const { m, b } of results.slice(0, Math.max(0, results.length - keep))) {
    const content = edited[m]!.content as Anthropic.ContentBlockParam[];
    const block = content[b] as Anthropic.ToolResultBlockParam;
    if (excluded.has(names.get(block.tool_use_id) ?? "")) continue;
    if (block.content === CLEARED_PLACEHOLDER) continue;
    content[b] = { ...block, content: CLEARED_PLACEHOLDER };
    cleared += 1;
  }
  const clearedTokens = before - measure(edited);
  if (cleared === 0 || clearedTokens < (edit.clear_at_least?.value ?? 0)) return undefined;
  messages.splice(0, messages.length, ...edited);
  return {
    type: "clear_tool_uses_20250919",
    cleared_tool_uses: cleared,
    cleared_input_tokens: clearedTokens,
  };
}

function summarize(messages: readonly Anthropic.MessageParam[], edit: CompactEdit): string {
  const calls = messages.flatMap((m) =>
    typeof m.content === "string" ? [] : m.content.filter((b) => b.type === "tool_use"),
  );
  const first = messages[0];
  const opening =
    first === undefined
      ? ""
      : typeof first.content === "string"
        ? first.content
        : first.content.map((b) => (b.type === "text" ? b.text : "")).join("\n");
  return [
    `Summary of ${messages.length} earlier messages and ${calls.length} tool calls.`,
    `It began: ${opening.slice(0, 2_000)}`,
    ...(edit.instructions ? [`Kept as instructed: ${edit.instructions.slice(0, 500)}`] : []),
  ].join("\n");
}

/** The prompt the model reads after the request's edits, or the refusal of one too long. */
export function managePrompt(
  params: Anthropic.MessageCreateParams,
  family: FamilyCapabilities,
): ManagedPrompt | Refusal {
  const messages = afterCompaction(params.messages);
  const measure = (list: readonly Anthropic.MessageParam[]) =>
    totalTokens(promptBlocks({ ...params, messages: [...list] }));
  const tokens = () => measure(messages);
  const applied: AppliedEdit[] = [];
  let compaction: string | undefined;
  let compactedTokens: number | undefined;
  for (const edit of editsOf(params)) {
    if (edit.type === "clear_tool_uses_20250919") {
      const done = clearToolUses(messages, edit, measure);
      if (done) applied.push(done);
    } else if (edit.type === "compact_20260112") {
      const trigger = edit.trigger?.value ?? COMPACT_DEFAULT_TRIGGER;
      const before = tokens();
      if (before > trigger) {
        compactedTokens = before;
        compaction = summarize(messages, edit);
        // The answer is written from the summary alone.
        messages.splice(0, messages.length, {
          role: "assistant",
          content: [
            { type: "compaction", content: compaction } as unknown as Anthropic.TextBlockParam,
          ],
        });
      }
    }
  }
  const blocks = promptBlocks({ ...params, messages });
  const total = totalTokens(blocks);
  if (total > family.contextWindow) {
    return invalidRequest(`prompt is too long: ${total} tokens > ${family.contextWindow} maximum`);
  }
  return {
    blocks,
    messages,
    applied,
    ...(compaction !== undefined ? { compaction, compactedTokens } : {}),
  };
}
