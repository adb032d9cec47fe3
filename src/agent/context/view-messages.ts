// The view's messages, built from the transcript and the manager's state: the header (the task
// as given, then the progress file, the summary and the plan once there are any), and the kept
// tail, its old tool results cleared in batches (unless the API clears them) and, after an
// overflow, cut; measured as it will be sent, in bytes of JSON and estimated tokens.
import type Anthropic from "@anthropic-ai/sdk";
import type { ToolDefinition } from "../../model/types.ts";
import type { AgentSnapshot } from "../ports.ts";
import { clearResults, clipResults, nextCleared } from "./clearing.ts";
import { headerMessage } from "./compaction.ts";
import { requestBytes } from "./health.ts";
import type { ContextSettings } from "./settings.ts";
import type { ContextState } from "./state.ts";
import { toolNames, toolResultsBefore, type Message } from "./transcript.ts";

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
  /** The progress file as the header shows it, or null before there is one to show. */
  readonly headerProgress: string | null;
}

export interface Built {
  messages: Message[];
  /** Transcript index where the kept tail starts. */
  start: number;
  estimatedTokens: number;
  bytes: number;
}

export function buildMessages(input: ViewInput, layout: Layout): Built {
  const { transcript, snapshot, state } = input;
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
    progress: layout.headerProgress,
    plan: snapshot.plan,
  });
  const messages = [header, ...tail];
  const bytes = requestBytes({ messages, system: input.system, tools: input.tools });
  return { messages, start, bytes, estimatedTokens: Math.ceil(bytes / 4) };
}
