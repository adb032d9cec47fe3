// Compacting the view: the messages between the task and a new boundary leave the view and a
// summary takes their place, one the model writes (past `compact_at`) or, after an overflow, one
// built from the state and the dropped messages with no model call (`compaction.ts`). The
// boundary and the summary go into the manager's state, the progress file is rewritten, and
// `context.compacted` records which summary it was.
import type Anthropic from "@anthropic-ai/sdk";
import type { ViewRequest } from "../hooks.ts";
import { renderPrompt } from "../prompts.ts";
import { askModel, textOf } from "../turn.ts";
import { withBreakpoints } from "./cache-breakpoints.ts";
import { deterministicSummary, planText } from "./compaction.ts";
import { progressText, writeProgress } from "./progress-file.ts";
import type { ServerEdits } from "./server-edits.ts";
import type { ContextSettings } from "./settings.ts";
import { blocksOf, tailStart, taskText } from "./transcript.ts";
import type { Built, ViewInput } from "./view-messages.ts";

export interface Compaction {
  readonly settings: ContextSettings;
  /** The API's context management, asked for on the summary's request too. */
  readonly server: ServerEdits | undefined;
  /** The progress file in the run's folder; without it nothing is written. */
  readonly progressFile: string | undefined;
}

/**
 * Compacts the view `built` is, when there is enough to drop. Returns the progress file the
 * header shows from now on, or undefined when nothing was compacted.
 */
export async function compact(
  kind: "summary" | "deterministic",
  input: ViewInput,
  built: Built,
  request: ViewRequest,
  spent: Anthropic.Usage[],
  how: Compaction,
): Promise<string | undefined> {
  const { transcript, snapshot, state } = input;
  const base = Math.max(state.boundary, state.serverCompactionAt);
  const kept = how.settings.keepToolResults;
  // Each overflow in a row keeps fewer turns whole.
  const keep = kind === "summary" ? kept : Math.max(1, Math.floor(kept / (1 + state.overflows)));
  const at = tailStart(transcript, base, keep);
  if (kind === "deterministic") state.clipTail = true;
  if (at === undefined) return undefined;
  // A summary is worth a model call only for a batch of turns: at least K of them to drop.
  if (kind === "summary" && at - Math.max(base, 1) < 2 * keep) {
    state.clipTail = true;
    return undefined;
  }
  const dropped = transcript.slice(Math.max(base, 1), at);
  const written =
    kind === "summary" ? await modelSummary(input, built, request, spent, how.server) : null;
  const summary =
    written ??
    deterministicSummary(taskText(transcript), dropped, transcript, snapshot, state.summary);
  state.boundary = at;
  state.summary = summary;
  state.summaryPlan = planText(snapshot.plan);
  state.compactions += 1;
  state.clipTail = kind === "deterministic";
  const progress = progressText(transcript, snapshot, request.step, state);
  if (how.progressFile) await writeProgress(how.progressFile, progress);
  await request.audit.record("context.compacted", {
    step: request.step,
    kind: written !== null ? "summary" : kind === "summary" ? "summary_fallback" : kind,
    estimatedTokensBefore: built.estimatedTokens,
    droppedMessages: dropped.length,
    boundary: at,
  });
  return progress;
}

/** A summary written by the model from the current view; null when it wrote none. */
async function modelSummary(
  input: ViewInput,
  built: Built,
  request: ViewRequest,
  spent: Anthropic.Usage[],
  server: ServerEdits | undefined,
): Promise<string | null> {
  const messages = [...built.messages];
  const last = messages.at(-1)!;
  const ask: Anthropic.TextBlockParam = { type: "text", text: renderPrompt("compact", {}).text };
  if (last.role === "user") {
    messages[messages.length - 1] = { role: "user", content: [...blocksOf(last), ask] };
  } else messages.push({ role: "user", content: [ask] });
  try {
    const message = await askModel(
      request,
      request.step,
      {
        // As the view sends them, so the request reads the cached prefix.
        messages: withBreakpoints(messages, built.stable),
        system: input.system ?? request.system,
        tools: input.tools ?? request.tools,
        ...(server ? { betas: server.betas, contextManagement: server.config } : {}),
      },
      { purpose: "compaction" },
    );
    spent.push(message.usage);
    const text = textOf(message.content);
    return text === "" ? null : text;
  } catch (error) {
    if (request.signal.aborted) throw error;
    await request.audit.record("context.summary_failed", {
      step: request.step,
      error: error instanceof Error ? error.message : String(error),
    });
    return null;
  }
}
