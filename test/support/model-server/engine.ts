// The scripted server behind every provider fake: it takes a request, lets the provider's
// dialect route, authenticate and unwrap it, checks the Messages API request it stands for as
// the API would, and answers the next scripted turn in the provider's own format.
import type Anthropic from "@anthropic-ai/sdk";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { flattenHeaders } from "./headers.ts";
import { buildMessage, estimateTokens } from "./message.ts";
import type { AnsweredMessage } from "./message.ts";
import type { Refusal } from "./refusal.ts";
import { invalidRequest, isRefusal } from "./refusal.ts";
import { isScriptedError } from "./script.ts";
import type { RecordedModelRequest, ScriptedReply, ScriptedTurn, StreamBreak } from "./script.ts";
import { validateRequest } from "./validate.ts";
import { checkEdits, managePrompt } from "./context-editing.ts";
import { familyOf } from "./families.ts";
import { PromptCache } from "./prompt-cache.ts";

export interface ModelServer {
  /** What the SDK's `baseURL` gets for this provider. */
  url: string;
  /** Every request, in arrival order, refused ones included. */
  requests: RecordedModelRequest[];
  /** Turns not yet consumed. */
  remaining(): number;
  push(...turns: ScriptedTurn[]): void;
  /**
   * The first error a scripted turn threw (an `expect` inside a turn, a step with no answer):
   * the request got a 500, and the run it broke fails later for another reason, so a harness
   * rethrows this when the test awaits the run (run-harness.ts's `execute`).
   */
  turnError(): unknown;
  close(): Promise<void>;
}

export interface Call {
  method: string;
  /** Path and query as sent. */
  path: string;
  headers: Record<string, string>;
  raw: Buffer;
}

/** What the path says: the model (Bedrock, Vertex) and whether the answer streams. */
export interface Route {
  model?: string;
  stream?: boolean;
  /** `POST /v1/messages/count_tokens`: answered with a count, consuming no scripted turn. */
  countTokens?: boolean;
}

interface Unwrapped {
  params: Record<string, unknown>;
  betas: string[];
}

export interface Answer {
  stream: boolean;
  requestId: string;
  rawToolInput: Readonly<Record<string, string>>;
  breakAfter?: StreamBreak;
}

/** One provider's wire format. */
export interface Dialect {
  /** The base URL the SDK is given, relative to `http://127.0.0.1:PORT`. */
  basePath: string;
  route(call: Call): Route | Refusal;
  authenticate(call: Call): Refusal | undefined;
  /** The Messages API request a provider body stands for, or the provider's refusal of it. */
  unwrap(body: Record<string, unknown>, route: Route, call: Call): Unwrapped | Refusal;
  error(res: ServerResponse, refusal: Refusal, requestId: string): void;
  message(res: ServerResponse, message: AnsweredMessage, answer: Answer): void;
}

const NO_TURN_LEFT = "scripted model server: no turn left";

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

function parseObject(raw: Buffer): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(raw.toString("utf8")) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export interface ScriptedServerOptions {
  /** The context window of every model, instead of its family's (to overflow in a test). */
  contextWindow?: number;
}

/** The count-tokens call: the request's size in the fake's tokens, with the API's own shape. */
function countTokens(
  sent: Record<string, unknown>,
  res: ServerResponse,
  requestId: string,
  refuse: (refusal: Refusal) => void,
): void {
  if (typeof sent.model !== "string" || !Array.isArray(sent.messages)) {
    return refuse(invalidRequest("model and messages are required"));
  }
  const tokens = estimateTokens(
    JSON.stringify({ system: sent.system, messages: sent.messages }).length,
  );
  res.writeHead(200, { "content-type": "application/json", "request-id": requestId });
  res.end(JSON.stringify({ input_tokens: tokens }));
}

export async function startScriptedServer(
  dialect: Dialect,
  script: ScriptedTurn[],
  options: ScriptedServerOptions = {},
): Promise<ModelServer> {
  const turns = [...script];
  const cache = new PromptCache();
  const requests: RecordedModelRequest[] = [];
  let served = 0;
  let turnError: unknown;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    served += 1;
    const id = String(served).padStart(6, "0");
    const requestId = `req_${id}`;
    const call: Call = {
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: flattenHeaders(req.headers),
      raw: await readBody(req),
    };
    const sent = parseObject(call.raw);
    const counting = dialect.route(call);
    if (!isRefusal(counting) && counting.countTokens === true) {
      // A count is no turn of the conversation: answered, and kept out of `requests`.
      const refusal =
        dialect.authenticate(call) ??
        (sent === undefined ? invalidRequest("The request body is not valid JSON.") : undefined);
      if (refusal !== undefined) return dialect.error(res, refusal, requestId);
      return countTokens(sent ?? {}, res, requestId, (r) => dialect.error(res, r, requestId));
    }
    // A refused body is recorded as sent, which may not match the type.
    const record: RecordedModelRequest = {
      method: call.method,
      path: call.path,
      headers: call.headers,
      body: (sent ?? {}) as unknown as Anthropic.MessageCreateParams,
      sent: sent ?? {},
      status: 200,
    };
    requests.push(record);
    const refuse = (refusal: Refusal): void => {
      record.status = refusal.status;
      record.refusal = refusal.message;
      dialect.error(res, refusal, requestId);
    };

    const route = dialect.route(call);
    if (isRefusal(route)) return refuse(route);
    const authRefusal = dialect.authenticate(call);
    if (authRefusal !== undefined) return refuse(authRefusal);
    if (sent === undefined) return refuse(invalidRequest("The request body is not valid JSON."));
    const unwrapped = dialect.unwrap(sent, route, call);
    if (isRefusal(unwrapped)) return refuse(unwrapped);
    record.body = unwrapped.params as unknown as Anthropic.MessageCreateParams;
    const checked = validateRequest(unwrapped.params, unwrapped.betas);
    if (!checked.ok) return refuse(checked.refusal);
    const family = familyOf(checked.params.model);
    if (options.contextWindow !== undefined) family.contextWindow = options.contextWindow;
    const editRefusal = checkEdits(checked.params, unwrapped.betas, family);
    if (editRefusal !== undefined) return refuse(editRefusal);
    const managed = managePrompt(checked.params, family);
    if (isRefusal(managed)) return refuse(managed);
    const usage = cache.account(checked.params.model, managed.blocks);
    record.usage = usage;
    record.appliedEdits = managed.applied;
    record.compacted = managed.compaction !== undefined;
    record.read = { system: checked.params.system, messages: managed.messages };

    const turn = turns.shift();
    if (turn === undefined) {
      return refuse({ status: 500, type: "api_error", message: NO_TURN_LEFT });
    }
    let reply: ScriptedReply;
    try {
      reply = typeof turn === "function" ? turn(record) : turn;
    } catch (error) {
      record.status = 500; // answered by the catch in createServer below
      turnError ??= error;
      throw error;
    }
    if (isScriptedError(reply)) {
      record.status = reply.status;
      dialect.error(
        res,
        {
          status: reply.status,
          type: reply.errorType,
          message: reply.message,
          headers: reply.headers,
        },
        requestId,
      );
      return;
    }
    const message = buildMessage(reply, {
      id: `msg_${id}`,
      params: checked.params,
      requestChars: call.raw.length,
      prompt: {
        usage,
        applied: managed.applied,
        compaction: managed.compaction,
        compactedTokens: managed.compactedTokens,
      },
    });
    record.outputTokens = message.usage.output_tokens;
    if (message.usage.iterations) record.iterations = message.usage.iterations;
    dialect.message(res, message, {
      stream: route.stream ?? checked.params.stream === true,
      requestId,
      rawToolInput: reply.rawToolInput ?? {},
      breakAfter: reply.breakAfter,
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (res.headersSent) return void res.destroy();
      const refusal = {
        status: 500,
        type: "api_error",
        message: `scripted model server: ${message}`,
      };
      dialect.error(res, refusal, "req_failed");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}${dialect.basePath}`,
    requests,
    remaining: () => turns.length,
    push: (...more) => void turns.push(...more),
    turnError: () => turnError,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
