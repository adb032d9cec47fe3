// Pull requests over an installation client: open (or find the open one of a
// branch), read, edit the body, and move between draft and ready for review,
// which only GraphQL can do.
import type { PullRequestDraft, PullRequestInfo, RepoRef } from "./types.ts";
import type { InstallationOctokit } from "./client.ts";
import { isStatus } from "./permissions.ts";

type Repo = Pick<RepoRef, "owner" | "repo">;

export async function openPullRequest(
  octokit: InstallationOctokit,
  ref: Repo,
  pr: PullRequestDraft,
): Promise<{ number: number; url: string; created: boolean }> {
  const { data: existing } = await octokit.rest.pulls.list({
    owner: ref.owner,
    repo: ref.repo,
    head: `${ref.owner}:${pr.head}`,
    state: "open",
  });
  const open = existing[0];
  if (open) return { number: open.number, url: open.html_url, created: false };
  const create = (draft: boolean) =>
    octokit.rest.pulls.create({
      owner: ref.owner,
      repo: ref.repo,
      title: pr.title,
      head: pr.head,
      base: pr.base,
      body: pr.body,
      draft,
    });
  let data;
  try {
    ({ data } = await create(pr.draft));
  } catch (error) {
    // Private repositories on some plans have no drafts: an open pull request that says it is
    // not ready beats none.
    if (!(pr.draft && isStatus(error, 422) && /draft/i.test(messageOf(error)))) throw error;
    ({ data } = await create(false));
  }
  return { number: data.number, url: data.html_url, created: true };
}

export async function pullRequest(
  octokit: InstallationOctokit,
  ref: Repo,
  number: number,
): Promise<PullRequestInfo> {
  const { data } = await octokit.rest.pulls.get({ ...ref, pull_number: number });
  return {
    number: data.number,
    url: data.html_url,
    draft: data.draft === true,
    nodeId: data.node_id,
    headRef: data.head.ref,
    headRepo: data.head.repo?.full_name ?? null,
    baseRepo: data.base.repo.full_name,
    headSha: data.head.sha,
    title: data.title,
    body: data.body ?? "",
    state: data.state === "closed" ? "closed" : "open",
  };
}

export async function updatePullRequest(
  octokit: InstallationOctokit,
  ref: Repo,
  number: number,
  patch: { body?: string },
): Promise<void> {
  await octokit.rest.pulls.update({ ...ref, pull_number: number, ...patch });
}

const READY = `mutation($id: ID!) {
  markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { number isDraft } }
}`;
const TO_DRAFT = `mutation($id: ID!) {
  convertPullRequestToDraft(input: { pullRequestId: $id }) { pullRequest { number isDraft } }
}`;

export async function setDraft(
  octokit: InstallationOctokit,
  pull: PullRequestInfo,
  draft: boolean,
): Promise<void> {
  if (pull.draft === draft) return;
  await octokit.graphql(draft ? TO_DRAFT : READY, { id: pull.nodeId });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
