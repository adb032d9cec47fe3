// The error answers of the Messages API: the refusal type and its JSON body.

/** An answer the server gives instead of a message, in the API's own words. */
export interface Refusal {
  status: number;
  type: string;
  message: string;
  /** A provider's own error body (Bedrock's `{message}`, Google's `{error:{code,status}}`). */
  body?: string;
  headers?: Record<string, string>;
}

export function invalidRequest(message: string): Refusal {
  return { status: 400, type: "invalid_request_error", message };
}

/** `{type:'error', error:{type, message}, request_id}`, as api.anthropic.com answers. */
export function errorBody(type: string, message: string, requestId: string): string {
  return JSON.stringify({ type: "error", error: { type, message }, request_id: requestId });
}

export function isRefusal(value: object): value is Refusal {
  return "status" in value && "message" in value;
}
