// The GitHub port with every text a run writes passed through the redactor
// first: comments, replies in review threads, pull request bodies, check run titles and summaries. A
// check run's `text` carries only audit JSONL, redacted before it was hashed;
// redacting it again could only break the chain, so it goes as it is. A secret
// found in a pull request's body is also a `safety` event, when an audit sink is given.
import type { AuditSink } from "../agent/ports.ts";
import { safetyEvent } from "../audit/safety.ts";
import type { CheckRunWrite, GitHubPort } from "../github/types.ts";

export function redactWrites(
  port: GitHubPort,
  redact: (text: string) => string,
  audit?: AuditSink,
): GitHubPort {
  const check = (c: CheckRunWrite): CheckRunWrite => ({
    ...c,
    title: redact(c.title),
    summary: redact(c.summary),
  });
  // A pull request's body is the model's summary: what it was swayed into writing, if anything.
  const body = async (text: string): Promise<string> => {
    const redacted = redact(text);
    if (redacted !== text && audit) {
      const { type, data } = safetyEvent({
        control: "github.redaction",
        outcome: "redacted",
        detail: "A secret in the pull request body was redacted before it reached GitHub.",
      });
      await audit.record(type, data);
    }
    return redacted;
  };
  return {
    ...port,
    createComment: (ref, issue, text) => port.createComment(ref, issue, redact(text)),
    updateComment: (ref, id, text) => port.updateComment(ref, id, redact(text)),
    openPullRequest: async (ref, pr) =>
      port.openPullRequest(ref, { ...pr, title: redact(pr.title), body: await body(pr.body) }),
    updatePullRequest: async (ref, number, patch) =>
      port.updatePullRequest(ref, number, {
        ...patch,
        ...(patch.body === undefined ? {} : { body: await body(patch.body) }),
      }),
    replyInThread: (ref, pull, commentId, body) =>
      port.replyInThread(ref, pull, commentId, redact(body)),
    createCheckRun: (ref, sha, c) => port.createCheckRun(ref, sha, check(c)),
    updateCheckRun: (ref, id, c) => port.updateCheckRun(ref, id, check(c)),
  };
}
