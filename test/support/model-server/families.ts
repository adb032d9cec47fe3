// What each model family accepts, as the real API decides it per model: the context window, and
// which server-side context edits it runs. A model the table does not know gets the defaults.
export const COMPACTION_BETA = "compact-2026-01-12";

export interface FamilyCapabilities {
  contextWindow: number;
  clearToolUses: boolean;
  compaction: boolean;
}

const DEFAULTS: FamilyCapabilities = {
  contextWindow: 200_000,
  clearToolUses: false,
  compaction: false,
};

const FAMILIES: Array<[string, Partial<FamilyCapabilities>]> = [
  ["claude-sonnet-5-5", { clearToolUses: true, compaction: true }],
  ["claude-sonnet-5", { clearToolUses: true, compaction: true }],
  ["claude-opus-5", { clearToolUses: true, compaction: true }],
  ["claude-sonnet-4-6", { clearToolUses: true, compaction: true }],
  ["claude-opus-4-6", { clearToolUses: true, compaction: true }],
  ["claude-sonnet-4-5", { clearToolUses: true }],
  ["claude-opus-4-5", { clearToolUses: true }],
  ["claude-haiku-4-5", { clearToolUses: true }],
];

/** The longest family name the model id contains (Bedrock's and Vertex's ids contain it too). */
export function familyOf(model: string): FamilyCapabilities {
  let best: [string, Partial<FamilyCapabilities>] | undefined;
  for (const entry of FAMILIES) {
    if (model.includes(entry[0]) && (best === undefined || entry[0].length > best[0].length)) {
      best = entry;
    }
  }
  return { ...DEFAULTS, ...best?.[1] };
}
