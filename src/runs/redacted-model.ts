// The model port as a run uses it: every request redacted before it leaves the
// process. A command's output, a file the agent read, an answer from GitHub
// can hold a secret the app holds (a token in a repository's file, say); the
// model provider is outside, so it gets `[REDACTED]` as the logs and GitHub
// do. Redaction is a pure function of the text, so the same transcript gives
// the same request each turn and the prompt cache still hits.
import type { Redactor } from "../observability/redact.ts";
import type { ModelPort, ModelRequest } from "../model/types.ts";

export function redactedModel(model: ModelPort, redactor: Redactor): ModelPort {
  const clean = (request: ModelRequest): ModelRequest => ({
    ...request,
    system:
      typeof request.system === "string"
        ? redactor.redact(request.system)
        : redactor.redactValue(request.system),
    messages: redactor.redactValue(request.messages),
  });
  return {
    model: model.model,
    cost: (usage) => model.cost(usage),
    complete: (request, signal, hooks) => model.complete(clean(request), signal, hooks),
  };
}
