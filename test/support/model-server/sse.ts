// Splits a Message into the server-sent events of a streamed answer, in the API's order.
import type Anthropic from "@anthropic-ai/sdk";
import type { ServerResponse } from "node:http";
import type { Answer } from "./engine.ts";
import type { AnsweredMessage } from "./message.ts";

/** An event as written on the wire; `ping` is sent by the API but has no SDK type. */
export type StreamEvent = Anthropic.RawMessageStreamEvent | { type: "ping" };

const CHUNKS = 3;

/** A few pieces, cut between code points so no surrogate pair is split. */
function chunks(s: string, count = CHUNKS): string[] {
  const points = Array.from(s);
  const size = Math.max(1, Math.ceil(points.length / count));
  const pieces: string[] = [];
  for (let i = 0; i < points.length; i += size) pieces.push(points.slice(i, i + size).join(""));
  return pieces;
}

function blockEvents(
  block: Anthropic.ContentBlock,
  index: number,
  rawToolInput: Readonly<Record<string, string>>,
): StreamEvent[] {
  if (block.type === "text") {
    return [
      { type: "content_block_start", index, content_block: { ...block, text: "" } },
      ...chunks(block.text).map((text): StreamEvent => ({
        type: "content_block_delta",
        index,
        delta: { type: "text_delta", text },
      })),
      { type: "content_block_stop", index },
    ];
  }
  if (block.type === "tool_use") {
    return [
      { type: "content_block_start", index, content_block: { ...block, input: {} } },
      ...chunks(rawToolInput[block.id] ?? JSON.stringify(block.input)).map(
        (partial_json): StreamEvent => ({
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json },
        }),
      ),
      { type: "content_block_stop", index },
    ];
  }
  if ((block.type as string) === "compaction") {
    const { content } = block as unknown as { content: string };
    return [
      {
        type: "content_block_start",
        index,
        content_block: { type: "compaction", content: null, encrypted_content: null },
      } as unknown as StreamEvent,
      {
        type: "content_block_delta",
        index,
        delta: { type: "compaction_delta", content, encrypted_content: null },
      } as unknown as StreamEvent,
      { type: "content_block_stop", index },
    ];
  }
  throw new Error(`scripted model server: cannot stream a ${block.type} block`);
}

/**
 * message_start, ping, each block's start/deltas/stop, message_delta, message_stop. A tool_use
 * whose id has raw JSON text streams that text instead of its input serialised.
 */
export function streamEvents(
  message: AnsweredMessage,
  rawToolInput: Readonly<Record<string, string>> = {},
): StreamEvent[] {
  const { usage } = message;
  const start: AnsweredMessage = {
    ...message,
    content: [],
    stop_reason: null,
    usage: { ...usage, output_tokens: 1 },
  };
  return [
    { type: "message_start", message: start },
    { type: "ping" },
    ...message.content.flatMap((block, index) => blockEvents(block, index, rawToolInput)),
    {
      type: "message_delta",
      delta: {
        stop_reason: message.stop_reason,
        stop_sequence: message.stop_sequence,
        stop_details: message.stop_details,
        container: message.container,
      },
      usage: {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        output_tokens_details: usage.output_tokens_details,
        server_tool_use: usage.server_tool_use,
        // The beta stream reads a compacted request's iterations from here.
        ...(usage.iterations ? { iterations: usage.iterations } : {}),
      },
      // The beta stream reads the edits the server applied from here.
      ...(message.context_management ? { context_management: message.context_management } : {}),
    },
    { type: "message_stop" },
  ];
}

/** `event: TYPE\ndata: JSON\n\n`, the framing the SDK's SSE decoder reads. */
function formatEvent(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

/**
 * Writes a message as the Claude API (and Vertex, which streams the same) answers one: JSON, or
 * server-sent events, cut short where the script breaks the stream.
 */
export function writeSseAnswer(
  res: ServerResponse,
  message: AnsweredMessage,
  answer: Answer,
  headers: Record<string, string>,
): void {
  if (!answer.stream) {
    res.writeHead(200, { ...headers, "content-type": "application/json" });
    res.end(JSON.stringify(message));
    return;
  }
  res.writeHead(200, {
    ...headers,
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
  });
  const events = streamEvents(message, answer.rawToolInput);
  const cut = answer.breakAfter;
  for (const event of cut ? events.slice(0, cut.events) : events) res.write(formatEvent(event));
  if (cut === undefined) return void res.end();
  if (cut.stall === true) return;
  if (cut.error !== undefined) {
    res.write(`event: error\ndata: ${JSON.stringify({ type: "error", error: cut.error })}\n\n`);
    return void res.end();
  }
  if (cut.malformed !== undefined) {
    res.write(`event: content_block_delta\ndata: ${cut.malformed}\n\n`);
    return void res.end();
  }
  // Closed without the chunked terminator: to the client, a connection that dropped mid-answer.
  res.socket?.end();
}
