// The context manager: the request view built from the whole transcript, in layers. Tool
// output is already cut at the tool; old tool results are cleared (by the API where the model
// supports `clear_tool_uses`, else here, in batches); past a size the view is compacted (by the
// API's `compact_20260112` where supported, else into a summary the model writes, else, when the
// context overflowed, into one built without a model call); cache breakpoints sit on the tools,
// the system prompt (which carries the task), the clearing frontiers and the moving tail. The transcript is never changed: only the view shrinks.
// Its state rides in the agent's snapshot (`hooks.context`), so a resumed run sends the same view.
import type Anthropic from "@anthropic-ai/sdk";
import type { ContextStats, ContextView, RequestView, StepHook, ViewRequest } from "../hooks.ts";
import { cachedSystem, withBreakpoints } from "./cache-breakpoints.ts";
import { capabilitiesOf, type ModelContextCapabilities } from "./capabilities.ts";
import { compact, type Compaction } from "./compactor.ts";
import { progressText, readProgress, writeProgress } from "./progress-file.ts";
import { serverEdits } from "./server-edits.ts";
import { DEFAULT_CONTEXT, type ContextSettings } from "./settings.ts";
import { restoreContextState, type ContextState } from "./state.ts";
import { blocksOf, taskText } from "./transcript.ts";
import { buildMessages, type Built, type Layout, type ViewInput } from "./view-messages.ts";

const CONTEXT_HOOK = "context";
/** The progress file is rewritten at least this often, milestones or not. */
const PROGRESS_EVERY_STEPS = 10;
/** Milestone tools: after one, the progress file is rewritten. */
const MILESTONE_TOOLS = new Set(["checkpoint", "update_plan", "run_checks"]);

export interface ContextManagerOptions {
  /** The model id as the provider names it; its family decides the server-side layers. */
  modelId: string;
  settings?: Partial<ContextSettings>;
  /** The progress file in the run's folder; without it nothing is written or read. */
  progressFile?: string;
  /** The run was resumed: the progress file goes into the view first. */
  resumed?: boolean;
}

export interface ContextManager {
  view: RequestView;
  /** Keeps the manager's state in the snapshot and writes the progress file at milestones. */
  hook: StepHook;
  readonly capabilities: ModelContextCapabilities;
}

/** One run's manager: its settings, and what it keeps in memory beside its state in the snapshot. */
interface Manager extends Compaction, Layout {
  readonly resumed: boolean;
  /** The progress file as the header shows it: read on resume, rewritten at each compaction. */
  headerProgress: string | null;
  /** The first view has looked for a progress file to show. */
  loaded: boolean;
  /** The server compaction the header's progress file was written for. */
  shownCompactionAt: number;
  /** Restored from the snapshot by the first view or hook that needs it. */
  state?: ContextState;
}

export function createContextManager(options: ContextManagerOptions): ContextManager {
  const settings: ContextSettings = { ...DEFAULT_CONTEXT, ...options.settings };
  const capabilities = capabilitiesOf(options.modelId);
  const server = settings.serverSide ? serverEdits(capabilities, settings) : undefined;
  const m: Manager = {
    settings,
    server,
    clearsOnServer: server?.clears === true,
    taskInSystem: server?.compacts === true,
    progressFile: options.progressFile,
    resumed: options.resumed === true,
    headerProgress: null,
    loaded: false,
    shownCompactionAt: 0,
  };

  const view: RequestView = async (transcript, snapshot, request) => {
    const state = (m.state ??= restoreContextState(snapshot.hooks[CONTEXT_HOOK]));
    // The task (the issue, the repository's instructions, the acceptance criteria: the first
    // message as given) stays where nothing removes it: in the first message, which every view
    // keeps, or, when the API compacts (and drops every message before its compaction block),
    // after the rules in the system prompt.
    const system = request
      ? cachedSystem(m.taskInSystem ? [request.system, taskText(transcript)] : [request.system])
      : undefined;
    const tools = request?.tools;
    const input: ViewInput = { transcript, snapshot, state, system, tools };
    await showProgress(m, input, request);
    const spent: Anthropic.Usage[] = [];
    const built = await compactedMessages(m, input, request, spent);
    return shapeView(m, input, built, spent);
  };

  const hook: StepHook = {
    name: CONTEXT_HOOK,
    async afterStep(context) {
      const state = (m.state ??= restoreContextState(context.state.hooks[CONTEXT_HOOK]));
      const milestone = context.added.some((msg) =>
        blocksOf(msg).some((b) => b.type === "tool_use" && MILESTONE_TOOLS.has(b.name)),
      );
      const key = JSON.stringify([context.phase, context.state.plan, context.state.verifications]);
      const due = context.step - state.progressStep >= PROGRESS_EVERY_STEPS;
      if (m.progressFile && (milestone || key !== state.progressKey || due)) {
        const text = progressText(context.transcript, context.state, context.step, state);
        await writeProgress(m.progressFile, text);
        state.progressStep = context.step;
        state.progressKey = key;
      }
      return { state };
    },
  };

  return { view, hook, capabilities };
}

/**
 * Puts the progress file into the header once there is reason to: on the first view of a
 * resumed or compacted run (read from the run's folder), and after each server compaction.
 */
async function showProgress(
  m: Manager,
  input: ViewInput,
  request: ViewRequest | undefined,
): Promise<void> {
  const { transcript, snapshot, state } = input;
  if (!m.loaded) {
    m.loaded = true;
    const after = state.boundary > 0 || state.serverCompactionAt > 0;
    m.shownCompactionAt = state.serverCompactionAt;
    if (m.resumed || after) {
      m.headerProgress =
        (m.progressFile ? await readProgress(m.progressFile) : null) ??
        progressText(transcript, snapshot, 0, state);
    }
  }
  if (state.serverCompactionAt > m.shownCompactionAt) {
    // The server compacted: the progress file goes into the view from here on.
    m.shownCompactionAt = state.serverCompactionAt;
    m.headerProgress = progressText(transcript, snapshot, request?.step ?? 0, state);
    if (m.progressFile) await writeProgress(m.progressFile, m.headerProgress);
  }
}

/**
 * The view's messages, compacted first after an overflow or, unless the API compacts, once past
 * `compact_at`.
 */
async function compactedMessages(
  m: Manager,
  input: ViewInput,
  request: ViewRequest | undefined,
  spent: Anthropic.Usage[],
): Promise<Built> {
  const { state } = input;
  const { compactAt } = m.settings;
  let built = buildMessages(input, m);
  if (!request) return built;
  const compacted = async (kind: "summary" | "deterministic", before: Built) => {
    const progress = await compact(kind, input, before, request, spent, m);
    if (progress !== undefined) m.headerProgress = progress;
    return buildMessages(input, m);
  };
  if (state.overflowPending) {
    state.overflowPending = false;
    built = await compacted("deterministic", built);
  } else if (m.server?.compacts !== true && built.estimatedTokens > compactAt) {
    built = await compacted("summary", built);
    if (built.estimatedTokens > compactAt && !state.clipTail) {
      // The kept turns alone are over the threshold: their results are cut from here on.
      state.clipTail = true;
      built = buildMessages(input, m);
    }
  }
  return built;
}

/**
 * The view as sent, with its stats for the health event, and the answers the loop gives back:
 * the model's (a server compaction, server clearings) and an overflow's.
 */
function shapeView(
  m: Manager,
  input: ViewInput,
  built: Built,
  spent: Anthropic.Usage[],
): ContextView {
  const { transcript, state, system, tools } = input;
  const stats: ContextStats = {
    requestBytes: built.bytes,
    estimatedTokens: built.estimatedTokens,
    messages: built.messages.length,
    compactions: state.compactions,
    clearings: state.clearings,
    transcriptMessages: transcript.length,
    keptFrom: built.start,
    clearedResults: state.clearedResults,
    serverClearedTokens: state.serverClearedTokens,
  };
  return {
    messages: withBreakpoints(built.messages, built.stable),
    ...(system ? { system } : {}),
    ...(tools ? { tools } : {}),
    ...(m.server ? { betas: m.server.betas, contextManagement: m.server.config } : {}),
    stats,
    spent,
    onResponse(message) {
      const answered = transcript.length; // where the loop appends this answer
      if (message.stop_reason !== "model_context_window_exceeded") state.overflows = 0;
      const content = message.content as Array<{ type: string; content?: unknown }>;
      if (content.some((b) => b.type === "compaction" && b.content != null)) {
        state.serverCompactionAt = answered;
        state.compactions += 1;
        stats.compactions = state.compactions;
      }
      const managed = (
        message as { context_management?: Anthropic.Beta.BetaContextManagementResponse }
      ).context_management;
      for (const edit of managed?.applied_edits ?? []) {
        if (edit.type !== "clear_tool_uses_20250919") continue;
        state.clearings += 1;
        state.serverClearings += 1;
        state.serverClearedTokens += edit.cleared_input_tokens;
      }
      stats.clearings = state.clearings;
      stats.serverClearedTokens = state.serverClearedTokens;
    },
    onOverflow() {
      if (state.overflows >= 2) return false;
      state.overflows += 1;
      state.overflowPending = true;
      return true;
    },
  };
}
