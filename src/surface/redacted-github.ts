// The GitHub port with every text a run writes passed through the redactor
// first: comments, replies in review threads, pull request bodies, check run titles and summaries. A
// check run's `text` carries only audit JSONL, redacted before it was hashed;
// redacting it again could only break the chain, so it goes as it is. A secret
// found in a comment, a reply or a pull request's body is also a `safety` event,
// when an audit sink is given.
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
  // What the model writes (a summary, a reply) is what it could be swayed into writing.
  const scrub = async (where: string, text: string): Promise<string> => {
    const redacted = redact(text);
    if (redacted !== text && audit) {
      const { type, data } = safetyEvent({
        control: "github.redaction",
        outcome: "redacted",
        detail: `A secret in ${where} was redacted before it reached GitHub.`,
        where,
      });
      await audit.record(type, data);
    }
    return redacted;
  };
  return {
    ...port,
    createComment: async (ref, issue, body) =>
      port.createComment(ref, issue, await scrub("a comment", body)),
    updateComment: async (ref, id, body) =>
      port.updateComment(ref, id, await scrub("a comment", body)),
    openPullRequest: async (ref, pr) =>
      port.openPullRequest(ref, {
        ...pr,
        title: redact(pr.title),
        body: await scrub("the pull request body", pr.body),
      }),
    updatePullRequest: async (ref, number, patch) =>
      port.updatePullRequest(ref, number, {
        ...patch,
        ...(patch.body === undefined
          ? {}
          : { body: await scrub("the pull request body", patch.body) }),
      }),
    replyInThread: async (ref, pull, commentId, body) =>
      port.replyInThread(ref, pull, commentId, await scrub("a reply in a review thread", body)),
    createCheckRun: (ref, sha, c) => port.createCheckRun(ref, sha, check(c)),
    updateCheckRun: (ref, id, c) => port.updateCheckRun(ref, id, check(c)),
  };
}
