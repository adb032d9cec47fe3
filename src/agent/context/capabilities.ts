// What each model family offers the context manager: server-side clearing of old tool uses
// (`clear_tool_uses_20250919`), server-side compaction (`compact_20260112`) and the size of its
// context window. The names are the installed SDK's (resources/beta/messages: the edits; the
// models API's `context_management` capability); the families are the ones our price table
// lists. A model this table does not know gets the client-side layers only, which work anywhere.
export const CONTEXT_MANAGEMENT_BETA = "context-management-2025-06-27";
export const COMPACTION_BETA = "compact-2026-01-12";
export const CLEAR_TOOL_USES = "clear_tool_uses_20250919";
export const COMPACT = "compact_20260112";

export interface ModelContextCapabilities {
  /** Server-side clearing of old tool results (`clear_tool_uses_20250919`). */
  clearToolUses: boolean;
  /** Server-side compaction (`compact_20260112`). */
  compaction: boolean;
  /** Input tokens the model reads at most. */
  contextWindow: number;
}

const NONE: ModelContextCapabilities = {
  clearToolUses: false,
  compaction: false,
  contextWindow: 200_000,
};

/** By family, newest first; matched against the provider's id, which contains it. */
const FAMILIES: Array<[string, ModelContextCapabilities]> = [
  ["claude-sonnet-5-5", { clearToolUses: true, compaction: true, contextWindow: 200_000 }],
  ["claude-sonnet-5", { clearToolUses: true, compaction: true, contextWindow: 200_000 }],
  ["claude-opus-5", { clearToolUses: true, compaction: true, contextWindow: 200_000 }],
  ["claude-sonnet-4-6", { clearToolUses: true, compaction: true, contextWindow: 200_000 }],
  ["claude-opus-4-6", { clearToolUses: true, compaction: true, contextWindow: 200_000 }],
  ["claude-sonnet-4-5", { clearToolUses: true, compaction: false, contextWindow: 200_000 }],
  ["claude-opus-4-5", { clearToolUses: true, compaction: false, contextWindow: 200_000 }],
  ["claude-haiku-4-5", { clearToolUses: true, compaction: false, contextWindow: 200_000 }],
];

/** The capabilities of a model id as its provider names it (`global.anthropic.claude-…` too). */
export function capabilitiesOf(modelId: string): ModelContextCapabilities {
  // The longest family name that matches: `claude-sonnet-5-5` before `claude-sonnet-5`.
  let best: [string, ModelContextCapabilities] | undefined;
  for (const entry of FAMILIES) {
    if (modelId.includes(entry[0]) && (best === undefined || entry[0].length > best[0].length)) {
      best = entry;
    }
  }
  return best?.[1] ?? NONE;
}
