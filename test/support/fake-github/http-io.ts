// Small HTTP helpers shared by the REST, GraphQL and git handlers: reading bodies, writing JSON,
// and the exchange record that ties each response to its entry in `requests` and `refusals`.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { RecordedRequest } from "./types.ts";

/** A refusal: the fake declines the request the way GitHub would. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === "string" ? body.message : `HTTP ${status}`);
    this.name = "HttpError";
  }
}

export const notFound = (): HttpError =>
  new HttpError(404, {
    message: "Not Found",
    documentation_url: "https://docs.github.com/enterprise-server@3.19/rest",
    status: "404",
  });

export const badCredentials = (): HttpError =>
  new HttpError(401, {
    message: "Bad credentials",
    documentation_url: "https://docs.github.com/enterprise-server@3.19/rest",
    status: "401",
  });

export interface ValidationErrorItem {
  resource: string;
  field?: string;
  code: "missing_field" | "invalid" | "already_exists" | "custom";
  message?: string;
}

export const validationFailed = (errors: ValidationErrorItem[]): HttpError =>
  new HttpError(422, {
    message: "Validation Failed",
    errors,
    documentation_url: "https://docs.github.com/enterprise-server@3.19/rest",
    status: "422",
  });

/** Collects what the server learns about one request, and files it when the answer is sent. */
export class Exchange {
  constructor(
    readonly record: RecordedRequest,
    private readonly refusals: RecordedRequest[],
    private readonly res: ServerResponse,
    private readonly now: () => number,
  ) {}

  /** Sets status and headers (the `Date` from the injected clock) and files the record. */
  head(status: number, headers: Record<string, string>, refused: boolean): ServerResponse {
    this.record.status = status;
    if (refused) this.refusals.push(this.record);
    this.res.statusCode = status;
    this.res.setHeader("date", new Date(this.now()).toUTCString());
    for (const [name, value] of Object.entries(headers)) this.res.setHeader(name, value);
    return this.res;
  }

  json(status: number, body: unknown, refused = false, headers: Record<string, string> = {}): void {
    const res = this.head(
      status,
      { "content-type": "application/json; charset=utf-8", ...headers },
      refused,
    );
    res.end(status === 204 ? undefined : JSON.stringify(body));
  }

  refuse(error: HttpError): void {
    this.json(error.status, error.body, true, error.headers);
  }

  get sent(): boolean {
    return this.res.headersSent;
  }
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function queryRecord(params: URLSearchParams): Record<string, string> {
  return Object.fromEntries(params.entries());
}
