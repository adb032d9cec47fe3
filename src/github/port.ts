// The GitHub port of the run lifecycle, implemented over installation clients:
// comments here, pull requests, review threads, check runs and labels in modules of their own.
import type { GitHubPort, PullRequestDraft, RepoRef } from "./types.ts";
import type { GitHubClients } from "./client.ts";
import { createCheckRun, findCheckRuns, updateCheckRun } from "./checks.ts";
import { findBotComment, issueComments } from "./comments.ts";
import { branchHead, createBlob, createCommit, createTree, moveBranch } from "./git-data.ts";
import { isWriter } from "./permissions.ts";
import { addLabel, ensureLabel, issueLabels, removeLabel } from "./labels.ts";
import { openPullRequest, pullRequest, setDraft, updatePullRequest } from "./pulls.ts";
import { replyInThread, resolveThread, reviewThreads } from "./reviews.ts";

export function createGitHubPort(
  clients: GitHubClients,
  gitBaseUrl: string,
  /** The clock of check runs' start and completion times. */
  now: () => Date = () => new Date(),
): GitHubPort {
  // Each call gets a token for the one repository, with the permission that call needs.
  const octo = (ref: RepoRef) => clients.forRepository(ref);
  const rest = (ref: RepoRef) => octo(ref).rest;
  return {
    gitToken: (ref) => clients.gitToken(ref),
    cloneUrl: (owner, repo) => `${gitBaseUrl}/${owner}/${repo}.git`,
    async defaultBranch(ref) {
      const { data } = await rest(ref).repos.get({ owner: ref.owner, repo: ref.repo });
      return data.default_branch;
    },
    async createComment(ref, issueNumber, body) {
      const { data } = await rest(ref).issues.createComment({
        owner: ref.owner,
        repo: ref.repo,
        issue_number: issueNumber,
        body,
      });
      return { id: data.id, createdAt: data.created_at };
    },
    issueComments: (ref, issueNumber) =>
      issueComments(octo(ref), { owner: ref.owner, repo: ref.repo, issue_number: issueNumber }),
    findComment(ref, issueNumber, needle) {
      return findBotComment(
        octo(ref),
        { owner: ref.owner, repo: ref.repo, issue_number: issueNumber },
        needle,
      );
    },
    async updateComment(ref, commentId, body) {
      await rest(ref).issues.updateComment({
        owner: ref.owner,
        repo: ref.repo,
        comment_id: commentId,
        body,
      });
    },
    openPullRequest: (ref: RepoRef, pr: PullRequestDraft) => openPullRequest(octo(ref), ref, pr),
    pullRequest: (ref, number) => pullRequest(octo(ref), ref, number),
    updatePullRequest: (ref, number, patch) => updatePullRequest(octo(ref), ref, number, patch),
    setDraft: (ref, pull, draft) => setDraft(octo(ref), pull, draft),
    createCheckRun: (ref, sha, check) => createCheckRun(octo(ref), ref, sha, check, now()),
    updateCheckRun: (ref, id, check) => updateCheckRun(octo(ref), ref, id, check, now()),
    findCheckRuns: (ref, sha, name) => findCheckRuns(octo(ref), ref, sha, name),
    reviewThreads: (ref, pull) => reviewThreads(octo(ref), ref, pull),
    replyInThread: (ref, pull, commentId, body) =>
      replyInThread(octo(ref), ref, pull, commentId, body),
    resolveThread: (ref, threadId) => resolveThread(octo(ref), threadId),
    async canWrite(ref, login) {
      const { writer } = await isWriter(octo(ref), ref, { login, type: "User" });
      return writer;
    },
    issueLabels: (ref, issue) => issueLabels(octo(ref), ref, issue),
    ensureLabel: (ref, label) => ensureLabel(octo(ref), ref, label),
    addLabel: (ref, issue, name) => addLabel(octo(ref), ref, issue, name),
    removeLabel: (ref, issue, name) => removeLabel(octo(ref), ref, issue, name),
    git: {
      branchHead: (ref, branch) => branchHead(octo(ref), ref, branch),
      createBlob: (ref, content) => createBlob(octo(ref), ref, content),
      createTree: (ref, base, entries) => createTree(octo(ref), ref, base, entries),
      createCommit: (ref, commit) => createCommit(octo(ref), ref, commit),
      moveBranch: (ref, move) => moveBranch(octo(ref), ref, move),
    },
  };
}
