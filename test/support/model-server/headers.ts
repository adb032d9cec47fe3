// Checks of the request headers the Messages API insists on: the API key and `anthropic-version`.
import type { IncomingHttpHeaders } from "node:http";
import type { Refusal } from "./refusal.ts";
import { invalidRequest } from "./refusal.ts";

/** Lower-cased header names, repeated values joined as HTTP allows. */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return flat;
}

function presentedKey(headers: Record<string, string>): string | undefined {
  const apiKey = headers["x-api-key"];
  if (apiKey) return apiKey;
  const match = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? "");
  return match?.[1];
}

/** The refusal for missing or wrong credentials or a missing version; undefined when they pass. */
export function checkHeaders(
  headers: Record<string, string>,
  expectedKey: string | undefined,
): Refusal | undefined {
  const key = presentedKey(headers);
  if (key === undefined) {
    return { status: 401, type: "authentication_error", message: "x-api-key header is required" };
  }
  if (expectedKey !== undefined && key !== expectedKey) {
    return { status: 401, type: "authentication_error", message: "invalid x-api-key" };
  }
  if (!headers["anthropic-version"]) return invalidRequest("anthropic-version: header is required");
  return undefined;
}

/** The betas a request asked for through `anthropic-beta` (comma-separated). */
export function requestedBetas(headers: Record<string, string>): string[] {
  return (headers["anthropic-beta"] ?? "")
    .split(",")
    .map((b) => b.trim())
    .filter((b) => b !== "");
}
