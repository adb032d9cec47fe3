// What a test scripts the model to answer, what the server records, and builders that keep scripts short.
import type Anthropic from "@anthropic-ai/sdk";

/** One block the scripted model answers with. */
export type ScriptedBlock = Anthropic.TextBlockParam | Anthropic.ToolUseBlockParam;

/** A successful model answer. */
export interface ScriptedMessage {
  content: ScriptedBlock[];
  /** Defaults to `tool_use` when a tool_use block is present, else `end_turn`. */
  stop_reason?: Anthropic.StopReason;
  /** Merged over defaults derived from the request and reply sizes. */
  usage?: Partial<Anthropic.Usage>;
  /** Sent with a `refusal`, as the API explains one. */
  stop_details?: Anthropic.RefusalStopDetails;
  /**
   * The JSON text to stream for a tool_use, by its id, instead of its `input` serialised: a
   * reply cut off at max_tokens streams only the start of it (`{"command": "echo par`).
   */
  rawToolInput?: Record<string, string>;
  /** The stream fails part-way: see StreamBreak. */
  breakAfter?: StreamBreak;
}

/**
 * A streamed answer that stops after `events` events: with `error`, the server sends it as the
 * stream's error event (an exception frame on Bedrock) and ends the stream; with `stall`, it
 * keeps the connection open and sends nothing more; with `malformed`, it sends that text as one
 * more event's data (not JSON, or not an event the API sends) and ends the stream; with none of
 * them, it drops the connection.
 */
export interface StreamBreak {
  events: number;
  error?: { type: string; message: string };
  stall?: boolean;
  malformed?: string;
}

/** An error answer, e.g. 529 `overloaded_error`, or 429 `rate_limit_error` with `retry-after`. */
export interface ScriptedError {
  status: number;
  errorType: string;
  message: string;
  headers?: Record<string, string>;
}

export type ScriptedReply = ScriptedMessage | ScriptedError;

/** A reply, or a function that picks one after seeing the request it answers. */
export type ScriptedTurn = ScriptedReply | ((request: RecordedModelRequest) => ScriptedReply);

/** A request the server received, answered or refused. */
export interface RecordedModelRequest {
  method: string;
  /** The path and query as sent, e.g. `/v1/messages` or Bedrock's `/model/{id}/invoke-with-response-stream`. */
  path: string;
  /** Lower-cased header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /**
   * The Messages API request the body stands for: the body as sent on the Claude API; on Bedrock
   * and Vertex, with the model from the path. For a refused request it may not match the type.
   */
  body: Anthropic.MessageCreateParams;
  /** The parsed JSON body exactly as sent (Bedrock's has `anthropic_version` and no `model`). */
  sent: Record<string, unknown>;
  /** The HTTP status answered (still 200 while a function turn is deciding). */
  status: number;
  /** Why the server refused the request (4xx), as the API would have said it. */
  refusal?: string;
  /** The prompt's tokens as the cache split them, once the request was accepted. */
  usage?: {
    input_tokens: number;
    cache_read_input_tokens: number;
    cache_creation_input_tokens: number;
  };
  /** Server-side context edits applied to the prompt (`clear_tool_uses_20250919`). */
  appliedEdits?: Array<{ type: string; cleared_tool_uses?: number; cleared_input_tokens: number }>;
  /** The answer's output tokens (the message iteration's, on a compacted request). */
  outputTokens?: number;
  /** The prompt was compacted (`compact_20260112`): the answer opens with a compaction block. */
  compacted?: boolean;
  /**
   * A compacted request's usage by sampling iteration, as answered under `usage.iterations`: the
   * compaction (the whole prompt in, the summary out), then the message (the answer). The bill is
   * their sum; `usage` above is the message iteration's prompt alone.
   */
  iterations?: Array<{
    type: "compaction" | "message";
    input_tokens: number;
    output_tokens: number;
    cache_read_input_tokens: number;
    cache_creation_input_tokens: number;
  }>;
  /**
   * The prompt as the model read it, once the server's edits were applied: the system prompt as
   * sent and the messages after clearing and compaction (the tools are as sent).
   */
  read?: {
    system: Anthropic.MessageCreateParams["system"];
    messages: Anthropic.MessageParam[];
  };
}

export function isScriptedError(reply: ScriptedReply): reply is ScriptedError {
  return "status" in reply;
}

export function text(s: string): Anthropic.TextBlockParam {
  return { type: "text", text: s };
}

let toolUseCounter = 0;

/** A tool_use block; without an id it gets `toolu_` and a process-wide counter. */
export function toolUse(name: string, input: unknown, id?: string): Anthropic.ToolUseBlockParam {
  toolUseCounter += 1;
  return {
    type: "tool_use",
    id: id ?? `toolu_${String(toolUseCounter).padStart(4, "0")}`,
    name,
    input,
  };
}

/**
 * The model's edit of a file: the editor tool's `str_replace` of `oldStr` by `newStr` in `path`,
 * as a tool_use block (its id as `toolUse` gives it), for scripts that change a file.
 */
export function editFile(
  path: string,
  oldStr: string,
  newStr: string,
  id?: string,
): Anthropic.ToolUseBlockParam {
  const input = { command: "str_replace", path, old_str: oldStr, new_str: newStr };
  return toolUse("str_replace_based_edit_tool", input, id);
}

/** A reply whose stop_reason follows from its blocks: `tool_use` if any block is one. */
export function reply(...blocks: ScriptedBlock[]): ScriptedMessage {
  const usesTool = blocks.some((b) => b.type === "tool_use");
  return { content: blocks, stop_reason: usesTool ? "tool_use" : "end_turn" };
}
