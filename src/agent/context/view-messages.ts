// The view's messages, built from the transcript and the manager's state: the header (the task
// as given, or a pointer to it when the system prompt carries it, then the progress file, the
// summary and the plan once there are any), and the kept tail, its old tool results cleared in batches (unless the API
// clears them) and, after an overflow, cut; measured as it will be sent, in bytes of JSON and
// estimated tokens, with the messages whose prefix stays cached (the clearing frontiers).
import type Anthropic from "@anthropic-ai/sdk";
import type { ToolDefinition } from "../../model/types.ts";
import type { AgentSnapshot } from "../ports.ts";
import { clearResults, clipResults, nextCleared } from "./clearing.ts";
import { renderPrompt } from "../prompts.ts";
import { headerMessage } from "./compaction.ts";
import { requestBytes } from "./health.ts";
import type { ContextSettings } from "./settings.ts";
import type { ContextState } from "./state.ts";
import { blocksOf, toolNames, toolResultsBefore, type Message } from "./transcript.ts";

/** After an overflow, each tool result of the kept tail is cut to this many characters. */
const CLIPPED_RESULT_CHARS = 4_000;

export interface ViewInput {
  transcript: readonly Message[];
  snapshot: Readonly<AgentSnapshot>;
  /** The manager's state: clearing moves on in it as the messages are built. */
  state: ContextState;
  /** The system prompt and tools as sent, counted in the request's size; unset without a request. */
  system: Anthropic.TextBlockParam[] | undefined;
  tools: ToolDefinition[] | undefined;
}

export interface Layout {
  readonly settings: ContextSettings;
  /** The API clears old tool results itself, so the view does not. */
  readonly clearsOnServer: boolean;
  /** The system prompt carries the task, so the first message only points to it. */
  readonly taskInSystem: boolean;
  /** The progress file as the header shows it, or null before there is one to show. */
  readonly headerProgress: string | null;
}

export interface Built {
  messages: Message[];
  /** Transcript index where the kept tail starts. */
  start: number;
  /**
   * Indices into `messages` whose prefix stays as it is until the next compaction: the clearing
   * frontier before the last clearing and now (the header when nothing in the tail is cleared).
   */
  stable: number[];
  estimatedTokens: number;
  bytes: number;
}

export function buildMessages(input: ViewInput, layout: Layout): Built {
  const { transcript, state } = input;
  const { settings } = layout;
  const start = Math.max(state.boundary, state.serverCompactionAt, 1);
  let tail = transcript.slice(start);
  if (!layout.clearsOnServer) {
    const total = toolResultsBefore(transcript, transcript.length);
    const next = nextCleared(
      total,
      state.clearedResults,
      settings.keepToolResults,
      settings.clearBatch,
    );
    if (next > state.clearedResults) {
      state.clearedBefore = state.clearedResults;
      state.clearedResults = next;
      state.clearings += 1;
    }
    const names = toolNames(transcript);
    tail = clearResults(tail, toolResultsBefore(transcript, start), state.clearedResults, names);
  }
  if (state.clipTail) tail = clipResults(tail, CLIPPED_RESULT_CHARS);
  const task = transcript[0] ?? { role: "user", content: "" };
  const header = headerMessage({
    opening: layout.taskInSystem ? { role: "user", content: POINTER } : task,
    summary: state.summary,
    plan: state.summaryPlan,
    progress: layout.headerProgress,
  });
  const messages = [header, ...tail];
  const first = toolResultsBefore(transcript, start);
  // Where the cleared prefix ends: ours, before the last clearing and now; or, when the API
  // clears (every result but the last K, on each request past its trigger), where its clearing
  // of this request ends, which the next request's clearing leaves as it is.
  const stable = layout.clearsOnServer
    ? [
        0,
        frontier(
          tail,
          first,
          toolResultsBefore(transcript, transcript.length) - settings.keepToolResults,
        ),
      ]
    : [frontier(tail, first, state.clearedBefore), frontier(tail, first, state.clearedResults)];
  const bytes = requestBytes({ messages, system: input.system, tools: input.tools });
  return { messages, start, stable, bytes, estimatedTokens: Math.ceil(bytes / 4) };
}

/** The first message of every view when the system prompt carries the task. */
const POINTER = renderPrompt("pinned", {}).text.trim();

/**
 * The index in the view (the header is 0) of the message holding the last of the first `cleared`
 * tool results, counting from `first` (the results before the tail); 0 when the tail has none.
 */
function frontier(tail: readonly Message[], first: number, cleared: number): number {
  let ordinal = first;
  let at = 0;
  for (const [i, message] of tail.entries()) {
    if (ordinal >= cleared) break;
    const results = blocksOf(message).filter((b) => b.type === "tool_result").length;
    ordinal += results;
    if (results > 0 && ordinal <= cleared) at = i + 1;
  }
  return at;
}
