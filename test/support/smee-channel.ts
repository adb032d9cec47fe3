// A smee.io channel on 127.0.0.1, as smee.io's server streams it (probot/smee.io lib/server.js):
// a GET asking for `text/event-stream` gets `event: ready`, then each POST to the channel as a
// message whose data is JSON of the request's headers (lower-cased, as Node gives them), `body`
// (the parsed JSON), `query` and `timestamp`. `deliver` is GitHub posting a signed delivery to
// the channel. A channel can refuse its first streams (404, as for a channel that is not there)
// or end them at once (a connection lost), to see the client connect again.
import { createHmac, randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { sign } from "@octokit/webhooks-methods";

export interface SmeeChannel {
  /** The channel's URL, WEBHOOK_PROXY_URL. */
  url: string;
  /** Streams made so far, refused and ended ones included. */
  connections(): number;
  /** Streams open now. */
  listeners(): number;
  /** An event's data as it is, to every open stream. */
  sendRaw(data: string): void;
  /** GitHub posting `payload` to the channel, signed with `secret`; its delivery id. */
  deliver(options: { event: string; payload: unknown; secret: string }): Promise<string>;
  close(): Promise<void>;
}

export async function startSmeeChannel(
  options: { refuse?: number; drop?: number } = {},
): Promise<SmeeChannel> {
  const streams = new Set<ServerResponse>();
  let made = 0;
  let id = 0;
  const server = createServer((req, res) => {
    if (req.headers.accept !== "text/event-stream") {
      res.writeHead(200, { "content-type": "text/html" }).end("<p>a channel</p>");
      return;
    }
    made++;
    if (made <= (options.refuse ?? 0)) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found");
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    res.write(`id: ${id++}\nevent: ready\ndata: {}\n\n`);
    if (made <= (options.refuse ?? 0) + (options.drop ?? 0)) {
      // Come back soon (the stream's own reconnection time), then the connection ends.
      res.end("retry: 20\n\n");
      return;
    }
    streams.add(res);
    res.on("close", () => streams.delete(res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const sendRaw = (data: string) => {
    for (const stream of streams) stream.write(`id: ${id++}\ndata: ${data}\n\n`);
  };
  return {
    url: `http://127.0.0.1:${port}/${randomUUID().slice(0, 16)}`,
    connections: () => made,
    listeners: () => streams.size,
    sendRaw,
    async deliver({ event, payload, secret }) {
      const body = JSON.stringify(payload);
      const deliveryId = randomUUID();
      // The headers of GitHub's POST to smee.io, as smee.io passes them on.
      const headers = {
        host: "smee.io",
        "content-length": String(Buffer.byteLength(body)),
        "user-agent": "GitHub-Hookshot/6f5c3c2",
        accept: "*/*",
        "x-github-delivery": deliveryId,
        "x-github-event": event,
        "x-github-hook-id": "512345678",
        "x-github-hook-installation-target-id": "1",
        "x-github-hook-installation-target-type": "integration",
        "x-hub-signature": `sha1=${createHmac("sha1", secret).update(body).digest("hex")}`,
        "x-hub-signature-256": await sign(secret, body),
        "content-type": "application/json",
        connection: "close",
        "accept-encoding": "gzip",
        "x-forwarded-for": "140.82.115.1",
        "x-forwarded-proto": "https",
      };
      const parsed: unknown = JSON.parse(body);
      sendRaw(JSON.stringify({ ...headers, body: parsed, query: {}, timestamp: Date.now() }));
      return deliveryId;
    },
    async close() {
      for (const stream of streams) stream.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
