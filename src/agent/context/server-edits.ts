// The server-side layers a request asks for, by what the model supports: clearing old tool
// results past a size (`clear_tool_uses_20250919`: the last K kept, the plan's tool never
// cleared, at least half the trigger cleared at once so the cache is invalidated rarely) and
// compaction past a larger one (`compact_20260112`), each under its beta.
import type Anthropic from "@anthropic-ai/sdk";
import { renderPrompt } from "../prompts.ts";
import {
  CLEAR_TOOL_USES,
  COMPACT,
  COMPACTION_BETA,
  CONTEXT_MANAGEMENT_BETA,
  type ModelContextCapabilities,
} from "./capabilities.ts";
import type { ContextSettings } from "./settings.ts";

/** The API's floor for a compaction trigger. */
const MIN_COMPACT_TRIGGER = 50_000;

export interface ServerEdits {
  betas: string[];
  config: Anthropic.Beta.BetaContextManagementConfig;
  /** The API clears old tool results itself, so the view does not. */
  clears: boolean;
  /** The API compacts the conversation itself, so the view does only after an overflow. */
  compacts: boolean;
}

export function serverEdits(
  capabilities: ModelContextCapabilities,
  settings: ContextSettings,
): ServerEdits | undefined {
  const edits: NonNullable<Anthropic.Beta.BetaContextManagementConfig["edits"]> = [];
  if (capabilities.clearToolUses) {
    edits.push({
      type: CLEAR_TOOL_USES,
      trigger: { type: "input_tokens", value: settings.serverClearAt },
      keep: { type: "tool_uses", value: settings.keepToolResults },
      clear_at_least: { type: "input_tokens", value: Math.floor(settings.serverClearAt / 2) },
      exclude_tools: ["update_plan"],
    });
  }
  if (capabilities.compaction) {
    edits.push({
      type: COMPACT,
      trigger: {
        type: "input_tokens",
        value: Math.max(MIN_COMPACT_TRIGGER, settings.serverCompactAt),
      },
      instructions: renderPrompt("compact-server", {}).text,
    });
  }
  if (edits.length === 0) return undefined;
  return {
    betas: capabilities.compaction
      ? [CONTEXT_MANAGEMENT_BETA, COMPACTION_BETA]
      : [CONTEXT_MANAGEMENT_BETA],
    config: { edits },
    clears: capabilities.clearToolUses,
    compacts: capabilities.compaction,
  };
}
