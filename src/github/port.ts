// The GitHub port of the run lifecycle, implemented over installation clients.
import type { GitHubPort, PullRequestDraft, RepoRef } from "../runs/ports.ts";
import type { GitHubClients } from "./client.ts";
import { findBotComment } from "./comments.ts";

export function createGitHubPort(clients: GitHubClients, gitBaseUrl: string): GitHubPort {
  const rest = (ref: RepoRef) => clients.forInstallation(ref.installationId).rest;
  return {
    gitToken: (installationId) => clients.installationToken(installationId),
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
      return { id: data.id };
    },
    findComment(ref, issueNumber, needle) {
      return findBotComment(
        clients.forInstallation(ref.installationId),
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
    async openPullRequest(ref: RepoRef, pr: PullRequestDraft) {
      const api = rest(ref);
      const { data: existing } = await api.pulls.list({
        owner: ref.owner,
        repo: ref.repo,
        head: `${ref.owner}:${pr.head}`,
        state: "open",
      });
      const open = existing[0];
      if (open) return { number: open.number, url: open.html_url, created: false };
      const { data } = await api.pulls.create({
        owner: ref.owner,
        repo: ref.repo,
        title: pr.title,
        head: pr.head,
        base: pr.base,
        body: pr.body,
        draft: pr.draft,
      });
      return { number: data.number, url: data.html_url, created: true };
    },
  };
}
