// The scripted model server: POST /v1/messages on loopback, answered turn by turn from a script.
import type Anthropic from "@anthropic-ai/sdk";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkHeaders, flattenHeaders, requestedBetas } from "./headers.ts";
import { buildMessage } from "./message.ts";
import type { AnsweredMessage } from "./message.ts";
import type { Refusal } from "./refusal.ts";
import { errorBody, invalidRequest } from "./refusal.ts";
import { isScriptedError } from "./script.ts";
import type { RecordedModelRequest, ScriptedReply, ScriptedTurn } from "./script.ts";
import { formatEvent, streamEvents } from "./sse.ts";
import { validateRequest } from "./validate.ts";

export interface ModelServer {
  /** `http://127.0.0.1:PORT`, what ANTHROPIC_BASE_URL gets. */
  url: string;
  /** Every request to POST /v1/messages, in arrival order, refused ones included. */
  requests: RecordedModelRequest[];
  /** Turns not yet consumed. */
  remaining(): number;
  push(...turns: ScriptedTurn[]): void;
  close(): Promise<void>;
}

export interface ModelServerOptions {
  /** When set, requests must present exactly this key. */
  apiKey?: string;
}

export const NO_TURN_LEFT = "scripted model server: no turn left";

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** Writes one answer: an error in the API's JSON shape, or a message as JSON or as SSE. */
function responder(res: ServerResponse, requestId: string) {
  return {
    error(
      status: number,
      type: string,
      message: string,
      headers: Record<string, string> = {},
    ): void {
      res.writeHead(status, {
        ...headers,
        "content-type": "application/json",
        "request-id": requestId,
      });
      res.end(errorBody(type, message, requestId));
    },
    message(message: AnsweredMessage, stream: boolean): void {
      if (!stream) {
        res.writeHead(200, { "content-type": "application/json", "request-id": requestId });
        res.end(JSON.stringify(message));
        return;
      }
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache",
        "request-id": requestId,
      });
      for (const event of streamEvents(message)) res.write(formatEvent(event));
      res.end();
    },
  };
}

export async function startModelServer(
  script: ScriptedTurn[],
  opts: ModelServerOptions = {},
): Promise<ModelServer> {
  const turns = [...script];
  const requests: RecordedModelRequest[] = [];
  let served = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    served += 1;
    const id = String(served).padStart(6, "0");
    const respond = responder(res, `req_${id}`);
    const path = (req.url ?? "").split("?")[0];
    if (req.method !== "POST" || path !== "/v1/messages") {
      req.resume();
      respond.error(404, "not_found_error", "Not Found");
      return;
    }
    const raw = await readBody(req);
    const headers = flattenHeaders(req.headers);
    const body = parseJson(raw);
    // A refused body is recorded as sent, which may not match the type.
    const record: RecordedModelRequest = {
      headers,
      body: (body ?? {}) as Anthropic.MessageCreateParams,
      status: 200,
    };
    requests.push(record);
    const refuse = (refusal: Refusal): void => {
      record.status = refusal.status;
      record.refusal = refusal.message;
      respond.error(refusal.status, refusal.type, refusal.message);
    };

    const headerRefusal = checkHeaders(headers, opts.apiKey);
    if (headerRefusal !== undefined) return refuse(headerRefusal);
    if (body === undefined) return refuse(invalidRequest("The request body is not valid JSON."));
    const checked = validateRequest(body, requestedBetas(headers));
    if (!checked.ok) return refuse(checked.refusal);

    const turn = turns.shift();
    if (turn === undefined) {
      record.status = 500;
      respond.error(500, "api_error", NO_TURN_LEFT);
      return;
    }
    let reply: ScriptedReply;
    try {
      reply = typeof turn === "function" ? turn(record) : turn;
    } catch (error) {
      record.status = 500; // answered by the catch in createServer below
      throw error;
    }
    if (isScriptedError(reply)) {
      record.status = reply.status;
      respond.error(reply.status, reply.errorType, reply.message, reply.headers);
      return;
    }
    const message = buildMessage(reply, {
      id: `msg_${id}`,
      params: checked.params,
      requestChars: raw.length,
    });
    respond.message(message, checked.params.stream === true);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (res.headersSent) return void res.destroy();
      responder(res, "req_failed").error(500, "api_error", `scripted model server: ${message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    remaining: () => turns.length,
    push: (...more) => void turns.push(...more),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
