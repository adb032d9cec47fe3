// Webhook posts written straight onto a socket, as a client that keeps sending while the server
// answers (GitHub's does, and so does an attacker): a body far past the cap, a chunked one, one
// held open part-way. And the server's side of it: the bytes each connection gave the server.
import type { Server } from "node:http";
import { connect, type Socket } from "node:net";
import { waitFor } from "../support/webhooks.ts";

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

export interface RawPost {
  /** The server's answer, once the connection closed (or the answer ended). */
  answer: Promise<RawAnswer>;
  /** Sends the rest of a held body and ends it. */
  finish: () => void;
  socket: Socket;
}

interface RawPostOptions {
  url: string;
  headers: Record<string, string>;
  /** Bytes of body sent, in chunks of `chunk`; with `hold`, only the first `hold` of them. */
  size: number;
  chunked?: boolean;
  hold?: number;
  chunk?: number;
}

/** Posts `size` bytes of `x`, with a Content-Length unless `chunked`. */
export function rawPost(options: RawPostOptions): RawPost {
  const url = new URL(options.url);
  const socket = connect(Number(url.port), url.hostname);
  const chunkSize = options.chunk ?? 64 * 1024;
  const lines = [
    `POST ${url.pathname} HTTP/1.1`,
    `host: ${url.host}`,
    "content-type: application/json",
    options.chunked ? "transfer-encoding: chunked" : `content-length: ${options.size}`,
    ...Object.entries(options.headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.on("error", () => undefined);
  socket.write(`${lines.join("\r\n")}\r\n\r\n`);
  let sent = 0;
  let stopped = false;
  const frame = (data: Buffer): Buffer | string =>
    options.chunked
      ? Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`), data, Buffer.from("\r\n")])
      : data;
  // Writes until `limit` is sent, waiting for the socket to drain, stopping once it is gone.
  const pump = (limit: number, end: boolean): void => {
    while (!stopped && sent < limit) {
      const n = Math.min(chunkSize, limit - sent);
      sent += n;
      if (!socket.write(frame(Buffer.alloc(n, "x")))) {
        socket.once("drain", () => pump(limit, end));
        return;
      }
    }
    if (!stopped && end && options.chunked) socket.write("0\r\n\r\n");
  };
  const received: Buffer[] = [];
  const answer = new Promise<RawAnswer>((resolve) => {
    const done = () => {
      stopped = true;
      const text = Buffer.concat(received).toString("utf8");
      const [head = "", body = ""] = text.split("\r\n\r\n");
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body });
      socket.destroy();
    };
    socket.on("data", (data: Buffer) => {
      received.push(data);
      // An answer is complete once its Content-Length arrived, or its last chunk.
      const text = Buffer.concat(received).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) return;
      const length = /content-length: (\d+)/i.exec(text.slice(0, split))?.[1];
      const rest = text.slice(split + 4);
      if (
        length !== undefined
          ? Buffer.byteLength(rest) >= Number(length)
          : rest.endsWith("0\r\n\r\n")
      ) {
        done();
      }
    });
    socket.on("close", done);
  });
  pump(options.hold ?? options.size, options.hold === undefined);
  return { answer, socket, finish: () => pump(options.size, true) };
}

/** Counts the bytes each connection to `server` gave it, read when the connection closes. */
export function connectionBytes(server: Server): { closed: number[]; open: () => number } {
  const closed: number[] = [];
  const live = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    live.add(socket);
    socket.on("close", () => {
      live.delete(socket);
      closed.push(socket.bytesRead);
    });
  });
  return { closed, open: () => live.size };
}

/**
 * Waits until the ingress at `url` refuses a post for load: it is reading all it may. The probe's
 * delivery id is not one GitHub could have sent, so it is not noted for redelivery.
 */
export async function untilFull(url: string): Promise<void> {
  await waitFor(async () => {
    const probe = rawPost({
      url,
      headers: {
        "x-github-delivery": "probe!",
        "x-github-event": "ping",
        "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
      },
      size: 2,
    });
    const { status } = await probe.answer;
    return status === 503 ? true : undefined;
  }, "the ingress to be full");
}
