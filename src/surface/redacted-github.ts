// The GitHub port with every text a run writes passed through the redactor
// first: comments, replies in review threads, pull request bodies, check run titles and summaries. A
// check run's `text` carries only audit JSONL, redacted before it was hashed;
// redacting it again could only break the chain, so it goes as it is.
import type { CheckRunWrite, GitHubPort } from "../github/types.ts";

export function redactWrites(port: GitHubPort, redact: (text: string) => string): GitHubPort {
  const check = (c: CheckRunWrite): CheckRunWrite => ({
    ...c,
    title: redact(c.title),
    summary: redact(c.summary),
  });
  return {
    ...port,
    createComment: (ref, issue, body) => port.createComment(ref, issue, redact(body)),
    updateComment: (ref, id, body) => port.updateComment(ref, id, redact(body)),
    openPullRequest: (ref, pr) =>
      port.openPullRequest(ref, { ...pr, title: redact(pr.title), body: redact(pr.body) }),
    updatePullRequest: (ref, number, patch) =>
      port.updatePullRequest(ref, number, {
        ...patch,
        ...(patch.body === undefined ? {} : { body: redact(patch.body) }),
      }),
    replyInThread: (ref, pull, commentId, body) =>
      port.replyInThread(ref, pull, commentId, redact(body)),
    createCheckRun: (ref, sha, c) => port.createCheckRun(ref, sha, check(c)),
    updateCheckRun: (ref, id, c) => port.updateCheckRun(ref, id, check(c)),
  };
}
