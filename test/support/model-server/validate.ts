// Refuses, in the Messages API's words, the request bodies that the real API refuses.
import type Anthropic from "@anthropic-ai/sdk";
import { checkCacheControl } from "./cache-control.ts";
import type { Refusal } from "./refusal.ts";
import { invalidRequest } from "./refusal.ts";
import { checkToolPairing } from "./tool-pairing.ts";

export const CONTEXT_MANAGEMENT_BETA = "context-management-2025-06-27";

export type Checked =
  { ok: true; params: Anthropic.MessageCreateParams } | { ok: false; refusal: Refusal };

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const ROLES = new Set(["user", "assistant", "system"]);

/** Fields a content block of a given type must carry as strings. */
const REQUIRED_STRINGS: Record<string, string[]> = {
  text: ["text"],
  tool_use: ["id", "name"],
  tool_result: ["tool_use_id"],
};

function checkBlock(block: unknown, path: string): Refusal | undefined {
  if (!isRecord(block) || typeof block.type !== "string") {
    return invalidRequest(`${path}.type: Field required`);
  }
  for (const field of REQUIRED_STRINGS[block.type] ?? []) {
    if (typeof block[field] !== "string") return invalidRequest(`${path}.${field}: Field required`);
  }
  if (block.type === "text" && typeof block.text === "string") {
    if (block.text === "") return invalidRequest("messages: text content blocks must be non-empty");
    if (block.text.trim() === "") {
      return invalidRequest("messages: text content blocks must contain non-whitespace text");
    }
  }
  return undefined;
}

function checkMessage(message: unknown, m: number, isLast: boolean): Refusal | undefined {
  if (!isRecord(message))
    return invalidRequest(`messages.${m}: Input should be a valid dictionary`);
  if (typeof message.role !== "string" || !ROLES.has(message.role)) {
    return invalidRequest(`messages.${m}.role: Input should be 'user', 'assistant' or 'system'`);
  }
  const { content } = message;
  if (typeof content !== "string" && !Array.isArray(content)) {
    return invalidRequest(`messages.${m}.content: Input should be a valid string or list`);
  }
  if (content.length === 0 && !(isLast && message.role === "assistant")) {
    return invalidRequest(
      `messages.${m}: all messages must have non-empty content except for the optional final assistant message`,
    );
  }
  if (typeof content === "string") return undefined;
  for (const [b, block] of content.entries()) {
    const refusal = checkBlock(block, `messages.${m}.content.${b}`);
    if (refusal !== undefined) return refusal;
  }
  return undefined;
}

function checkTopLevel(body: Json, betas: readonly string[]): Refusal | undefined {
  for (const field of ["model", "max_tokens", "messages"]) {
    if (body[field] === undefined) return invalidRequest(`${field}: Field required`);
  }
  if (typeof body.model !== "string")
    return invalidRequest("model: Input should be a valid string");
  const maxTokens = body.max_tokens;
  if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 0) {
    return invalidRequest("max_tokens: Input should be a valid integer");
  }
  if (body.context_management !== undefined && !betas.includes(CONTEXT_MANAGEMENT_BETA)) {
    return invalidRequest("context_management: Extra inputs are not permitted");
  }
  return undefined;
}

function checkMessages(value: unknown): Refusal | undefined {
  if (!Array.isArray(value)) return invalidRequest("messages: Input should be a valid list");
  const messages: readonly unknown[] = value;
  if (messages.length === 0) return invalidRequest("messages: at least one message is required");
  for (const [m, message] of messages.entries()) {
    const refusal = checkMessage(message, m, m === messages.length - 1);
    if (refusal !== undefined) return refusal;
  }
  const first = messages.find((m) => isRecord(m) && m.role !== "system");
  if (isRecord(first) && first.role !== "user") {
    return invalidRequest('messages: first message must use the "user" role');
  }
  return undefined;
}

/** The first refusal the API would give, or the body typed as the params it was checked to be. */
export function validateRequest(body: unknown, betas: readonly string[]): Checked {
  if (!isRecord(body)) {
    return { ok: false, refusal: invalidRequest("Input should be a valid dictionary") };
  }
  const shape = checkTopLevel(body, betas) ?? checkMessages(body.messages);
  if (shape !== undefined) return { ok: false, refusal: shape };
  // The fields the checks below read have been checked above; the rest is passed through unread.
  const params = body as unknown as Anthropic.MessageCreateParams;
  const refusal = checkCacheControl(params) ?? checkToolPairing(params.messages);
  return refusal === undefined ? { ok: true, params } : { ok: false, refusal };
}
