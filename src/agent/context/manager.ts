// The context manager: the request view built from the whole transcript, in layers. Tool
// output is already cut at the tool; old tool results are cleared (by the API where the model
// supports `clear_tool_uses`, else here, in batches); past a size the view is compacted (by the
// API's `compact_20260112` where supported, else into a summary the model writes, else, when the
// context overflowed, into one built without a model call); cache breakpoints sit on the tools,
// the system prompt and the moving tail. The transcript is never changed: only the view shrinks.
// Its state rides in the agent's snapshot (`hooks.context`), so a resumed run sends the same view.
import type Anthropic from "@anthropic-ai/sdk";
import type { ContextStats, ContextView, RequestView, StepHook, ViewRequest } from "../hooks.ts";
import type { AgentSnapshot } from "../ports.ts";
import { renderPrompt } from "../prompts.ts";
import { askModel, textOf } from "../turn.ts";
import { cachedSystem, cachedTools, withBreakpoints } from "./cache-breakpoints.ts";
import { capabilitiesOf, type ModelContextCapabilities } from "./capabilities.ts";
import { clearResults, clipResults, nextCleared } from "./clearing.ts";
import { deterministicSummary, headerMessage } from "./compaction.ts";
import { requestBytes } from "./health.ts";
import { renderProgress, readProgress, writeProgress } from "./progress-file.ts";
import { serverEdits } from "./server-edits.ts";
import { DEFAULT_CONTEXT, type ContextSettings } from "./settings.ts";
import { restoreContextState, type ContextState } from "./state.ts";
import {
  blocksOf,
  filesTouched,
  tailStart,
  textOfBlocks,
  toolNames,
  toolResultsBefore,
  type Message,
} from "./transcript.ts";

export const CONTEXT_HOOK = "context";
/** The anchor breakpoint moves every this many messages. */
const ANCHOR_BATCH = 8;
/** After an overflow, each tool result of the kept tail is cut to this many characters. */
const CLIPPED_RESULT_CHARS = 4_000;
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

interface Built {
  messages: Message[];
  start: number;
  estimatedTokens: number;
  bytes: number;
}

export function createContextManager(options: ContextManagerOptions): ContextManager {
  const settings: ContextSettings = { ...DEFAULT_CONTEXT, ...options.settings };
  const capabilities = capabilitiesOf(options.modelId);
  const server = settings.serverSide ? serverEdits(capabilities, settings) : undefined;
  const clearsOnServer = server?.clears === true;
  let st: ContextState | undefined;
  /** The progress file as the header shows it: read on resume, rewritten at each compaction. */
  let headerProgress: string | null = null;
  let loaded = false;
  /** The server compaction the header's progress file was written for. */
  let shownCompactionAt = 0;

  const taskText = (transcript: readonly Message[]) =>
    transcript[0] ? textOfBlocks(transcript[0]) : "";

  const progressText = (
    transcript: readonly Message[],
    snapshot: Readonly<AgentSnapshot>,
    step: number,
    state: ContextState,
  ) =>
    renderProgress({
      task: taskText(transcript),
      step,
      state: snapshot,
      files: filesTouched(transcript),
      summary: state.summary,
      compactions: state.compactions,
    });

  const build = (
    transcript: readonly Message[],
    snapshot: Readonly<AgentSnapshot>,
    state: ContextState,
    system: unknown,
    tools: unknown,
  ): Built => {
    const start = Math.max(state.boundary, state.serverCompactionAt, 1);
    let tail = transcript.slice(start);
    if (!clearsOnServer) {
      const total = toolResultsBefore(transcript, transcript.length);
      const next = nextCleared(
        total,
        state.clearedResults,
        settings.keepToolResults,
        settings.clearBatch,
      );
      if (next > state.clearedResults) {
        state.clearedResults = next;
        state.clearings += 1;
      }
      const names = toolNames(transcript);
      tail = clearResults(tail, toolResultsBefore(transcript, start), state.clearedResults, names);
    }
    if (state.clipTail) tail = clipResults(tail, CLIPPED_RESULT_CHARS);
    const header = headerMessage({
      task: transcript[0] ?? { role: "user", content: "" },
      summary: state.summary,
      progress: headerProgress,
      plan: snapshot.plan,
    });
    const messages = [header, ...tail];
    const bytes = requestBytes({ messages, system, tools });
    return { messages, start, bytes, estimatedTokens: Math.ceil(bytes / 4) };
  };

  /** A summary written by the model from the current view; null when it wrote none. */
  const modelSummary = async (
    built: Built,
    request: ViewRequest,
    spent: Anthropic.Usage[],
  ): Promise<string | null> => {
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
          messages: withBreakpoints(messages, ANCHOR_BATCH),
          system: cachedSystem(request.system),
          tools: cachedTools(request.tools),
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
  };

  const compact = async (
    kind: "summary" | "deterministic",
    transcript: readonly Message[],
    snapshot: Readonly<AgentSnapshot>,
    state: ContextState,
    built: Built,
    request: ViewRequest,
    spent: Anthropic.Usage[],
  ): Promise<void> => {
    const base = Math.max(state.boundary, state.serverCompactionAt);
    // Each overflow in a row keeps fewer turns whole.
    const keep =
      kind === "summary"
        ? settings.keepToolResults
        : Math.max(1, Math.floor(settings.keepToolResults / (1 + state.overflows)));
    const at = tailStart(transcript, base, keep);
    if (kind === "deterministic") state.clipTail = true;
    if (at === undefined) return;
    // A summary is worth a model call only for a batch of turns: at least K of them to drop.
    if (kind === "summary" && at - Math.max(base, 1) < 2 * keep) {
      state.clipTail = true;
      return;
    }
    const dropped = transcript.slice(Math.max(base, 1), at);
    const written = kind === "summary" ? await modelSummary(built, request, spent) : null;
    const summary =
      written ??
      deterministicSummary(taskText(transcript), dropped, transcript, snapshot, state.summary);
    state.boundary = at;
    state.summary = summary;
    state.compactions += 1;
    state.clipTail = kind === "deterministic";
    headerProgress = progressText(transcript, snapshot, request.step, state);
    if (options.progressFile) await writeProgress(options.progressFile, headerProgress);
    await request.audit.record("context.compacted", {
      step: request.step,
      kind: written !== null ? "summary" : kind === "summary" ? "summary_fallback" : kind,
      estimatedTokensBefore: built.estimatedTokens,
      droppedMessages: dropped.length,
      boundary: at,
    });
  };

  const view: RequestView = async (transcript, snapshot, request) => {
    const state = (st ??= restoreContextState(snapshot.hooks[CONTEXT_HOOK]));
    const system = request ? cachedSystem(request.system) : undefined;
    const tools = request ? cachedTools(request.tools) : undefined;
    if (!loaded) {
      loaded = true;
      const after = state.boundary > 0 || state.serverCompactionAt > 0;
      shownCompactionAt = state.serverCompactionAt;
      if (options.resumed === true || after) {
        headerProgress =
          (options.progressFile ? await readProgress(options.progressFile) : null) ??
          progressText(transcript, snapshot, 0, state);
      }
    }
    if (state.serverCompactionAt > shownCompactionAt) {
      // The server compacted: the progress file goes into the view from here on.
      shownCompactionAt = state.serverCompactionAt;
      headerProgress = progressText(transcript, snapshot, request?.step ?? 0, state);
      if (options.progressFile) await writeProgress(options.progressFile, headerProgress);
    }
    const spent: Anthropic.Usage[] = [];
    let built = build(transcript, snapshot, state, system, tools);
    if (request && state.overflowPending) {
      state.overflowPending = false;
      await compact("deterministic", transcript, snapshot, state, built, request, spent);
      built = build(transcript, snapshot, state, system, tools);
    } else if (request && built.estimatedTokens > settings.compactAt) {
      await compact("summary", transcript, snapshot, state, built, request, spent);
      built = build(transcript, snapshot, state, system, tools);
      if (built.estimatedTokens > settings.compactAt && !state.clipTail) {
        // The kept turns alone are over the threshold: their results are cut from here on.
        state.clipTail = true;
        built = build(transcript, snapshot, state, system, tools);
      }
    }
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
    const shaped: ContextView = {
      messages: withBreakpoints(built.messages, ANCHOR_BATCH),
      ...(system ? { system } : {}),
      ...(tools ? { tools } : {}),
      ...(server ? { betas: server.betas, contextManagement: server.config } : {}),
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
    return shaped;
  };

  const hook: StepHook = {
    name: CONTEXT_HOOK,
    async afterStep(context) {
      const state = (st ??= restoreContextState(context.state.hooks[CONTEXT_HOOK]));
      const milestone = context.added.some((m) =>
        blocksOf(m).some((b) => b.type === "tool_use" && MILESTONE_TOOLS.has(b.name)),
      );
      const key = JSON.stringify([context.phase, context.state.plan, context.state.verifications]);
      const due = context.step - state.progressStep >= PROGRESS_EVERY_STEPS;
      if (options.progressFile && (milestone || key !== state.progressKey || due)) {
        const text = progressText(context.transcript, context.state, context.step, state);
        await writeProgress(options.progressFile, text);
        state.progressStep = context.step;
        state.progressKey = key;
      }
      return { state };
    },
  };

  return { view, hook, capabilities };
}
