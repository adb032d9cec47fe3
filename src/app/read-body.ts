// Reading a webhook's body before anything vouches for it (the signature is checked after): at
// most `limit` bytes are ever held. A Content-Length past the limit is refused unread; a body
// without one (chunked) is read until it passes the limit and no further. The caller answers and
// then closes the connection (`refuseAndClose`), so the rest is never drained.
import type { IncomingMessage, ServerResponse } from "node:http";

export type BodyRead =
  | { ok: true; body: string }
  | { ok: false; reason: "too-large"; read: number }
  | { ok: false; reason: "aborted" };

/** The declared length, when the request declares a valid one. */
function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers["content-length"];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
}

/** Whether the request says, before a byte of its body is read, that it is larger than `limit`. */
export function declaredTooLarge(req: IncomingMessage, limit: number): boolean {
  const declared = declaredLength(req);
  return declared !== undefined && declared > limit;
}

/**
 * The body as UTF-8, or `too-large` as soon as more than `limit` bytes arrived (reading stops
 * there; the stream is paused, not destroyed, so an answer can still be written), or `aborted`
 * when the client went away first.
 */
export function readBoundedBody(req: IncomingMessage, limit: number): Promise<BodyRead> {
  if (declaredTooLarge(req, limit))
    return Promise.resolve({ ok: false, reason: "too-large", read: 0 });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: BodyRead): void => {
      req.off("data", onData).off("end", onEnd).off("error", onGone).off("close", onGone);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        chunks.length = 0;
        settle({ ok: false, reason: "too-large", read: size });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void =>
      settle({ ok: true, body: Buffer.concat(chunks, size).toString("utf8") });
    const onGone = (): void => settle({ ok: false, reason: "aborted" });
    req.on("data", onData).on("end", onEnd).on("error", onGone).on("close", onGone);
  });
}

/**
 * Answers and then closes the connection without reading what is left of the request: the
 * answer is flushed first, so a client that reads while it writes (GitHub's does) gets it.
 */
export function refuseAndClose(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify({ message });
  // Read no more of the request while the answer is written; the connection ends after it.
  res.socket?.pause();
  res.shouldKeepAlive = false;
  res
    .writeHead(status, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(body)),
      connection: "close",
      ...headers,
    })
    .end(body, () => res.socket?.destroy());
}
