// Scripts for the scripted model that answer by the step a request asks for
// rather than by the order requests arrive, so a step asked again (a resumed
// run, a re-executed step) gets the same answer, and runs on several issues
// can share one model server.
import type { RecordedModelRequest, ScriptedReply, ScriptedTurn } from "./model-server/index.ts";

/** The step a request asks for: one more than the model's turns so far. */
export function stepOf(request: RecordedModelRequest): number {
  const messages = request.body.messages;
  return messages.filter((m) => m.role === "assistant").length + 1;
}

/**
 * A script that answers by step rather than by arrival, so a step asked for again (a resumed
 * run, a retried step) gets the same answer. `steps[i]` answers step i + 1.
 */
export function byStep(
  steps: Array<ScriptedReply | ((request: RecordedModelRequest) => ScriptedReply)>,
  requests = 40,
): ScriptedTurn[] {
  return Array.from({ length: requests }, () => (request: RecordedModelRequest) => {
    const answer = steps[stepOf(request) - 1];
    if (answer === undefined) throw new Error(`no scripted answer for step ${stepOf(request)}`);
    return typeof answer === "function" ? answer(request) : answer;
  });
}

/** The issue a request works on, read from the task ("Resolve issue #N of owner/repo."). */
export function issueOf(request: RecordedModelRequest): { number: number; repository: string } {
  const first = request.body.messages[0];
  const task = typeof first?.content === "string" ? first.content : JSON.stringify(first?.content);
  const match = /Resolve issue #(\d+) of (\S+?)\./.exec(task);
  if (!match) throw new Error("the request carries no task");
  return { number: Number(match[1]), repository: match[2]! };
}
