// AWS's binary event-stream framing, which Bedrock streams answers in: each message is a prelude
// (total length, headers length, the prelude's CRC32), headers, a payload and the message's
// CRC32. Encoded here from AWS's published layout, so the SDK's decoder checks real frames.
import { crc32 } from "node:zlib";

/** Header value type 7: a UTF-8 string with a 16-bit length. */
const STRING = 7;

function encodeHeaders(headers: Readonly<Record<string, string>>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const n = Buffer.from(name, "utf8");
    const v = Buffer.from(value, "utf8");
    const head = Buffer.alloc(1 + n.length + 1 + 2);
    head.writeUInt8(n.length, 0);
    n.copy(head, 1);
    head.writeUInt8(STRING, 1 + n.length);
    head.writeUInt16BE(v.length, 2 + n.length);
    parts.push(head, v);
  }
  return Buffer.concat(parts);
}

function encodeFrame(headers: Readonly<Record<string, string>>, payload: Buffer): Buffer {
  const head = encodeHeaders(headers);
  const total = 12 + head.length + payload.length + 4;
  const frame = Buffer.alloc(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(head.length, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  head.copy(frame, 12);
  payload.copy(frame, 12 + head.length);
  frame.writeUInt32BE(crc32(frame.subarray(0, total - 4)), total - 4);
  return frame;
}

/** A `chunk` event: the payload's `bytes` carry one Messages API stream event, base64-encoded. */
export function chunkFrame(event: unknown): Buffer {
  const bytes = Buffer.from(JSON.stringify(event), "utf8").toString("base64");
  // Bedrock pads chunks with a `p` field of varying length; a client must ignore it.
  const payload = JSON.stringify({
    bytes,
    p: "abcdefghijklmnopqrstuvwxyz".slice(0, bytes.length % 26),
  });
  return encodeFrame(
    { ":event-type": "chunk", ":content-type": "application/json", ":message-type": "event" },
    Buffer.from(payload, "utf8"),
  );
}

/** An exception part-way through the stream, e.g. `throttlingException`. */
export function exceptionFrame(type: string, message: string): Buffer {
  return encodeFrame(
    { ":exception-type": type, ":content-type": "application/json", ":message-type": "exception" },
    Buffer.from(JSON.stringify({ message }), "utf8"),
  );
}
