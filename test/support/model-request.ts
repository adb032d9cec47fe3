// What the model-port tests share: a small request, and the error a call that must fail failed with.
import type { ModelRequest } from "../../src/model/types.ts";

/** A system prompt, one user message and one tool: what every provider's request carries. */
export const MODEL_REQUEST: ModelRequest = {
  system: "You are a test.",
  messages: [{ role: "user", content: "Look at the repository." }],
  tools: [{ name: "bash", description: "Run a command", input_schema: { type: "object" } }],
  maxTokens: 200,
};

/** The rejection of a call that must fail, for assertions on the error itself. */
export function failureOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => new Error("expected the call to fail"),
    (error: unknown) => error,
  );
}
