// Splits a Message into the server-sent events of a streamed answer, in the API's order.
import type Anthropic from "@anthropic-ai/sdk";
import type { AnsweredMessage } from "./message.ts";

/** An event as written on the wire; `ping` is sent by the API but has no SDK type. */
export type StreamEvent = Anthropic.RawMessageStreamEvent | { type: "ping" };

const CHUNKS = 3;

/** A few pieces, cut between code points so no surrogate pair is split. */
export function chunks(s: string, count = CHUNKS): string[] {
  const points = Array.from(s);
  const size = Math.max(1, Math.ceil(points.length / count));
  const pieces: string[] = [];
  for (let i = 0; i < points.length; i += size) pieces.push(points.slice(i, i + size).join(""));
  return pieces;
}

function blockEvents(block: Anthropic.ContentBlock, index: number): StreamEvent[] {
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
      ...chunks(JSON.stringify(block.input)).map((partial_json): StreamEvent => ({
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json },
      })),
      { type: "content_block_stop", index },
    ];
  }
  throw new Error(`scripted model server: cannot stream a ${block.type} block`);
}

/** message_start, ping, each block's start/deltas/stop, message_delta, message_stop. */
export function streamEvents(message: AnsweredMessage): StreamEvent[] {
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
    ...message.content.flatMap(blockEvents),
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
      },
    },
    { type: "message_stop" },
  ];
}

/** `event: TYPE\ndata: JSON\n\n`, the framing the SDK's SSE decoder reads. */
export function formatEvent(event: StreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}
