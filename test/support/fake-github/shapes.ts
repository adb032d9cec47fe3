// JSON shapes of GitHub objects (users, repositories, comments, reactions, pull requests), with the
// fields Octokit and Probot read, and GitHub's page/per_page pagination with a Link header.
import type {
  CheckRunRecord,
  CommentRecord,
  FakeState,
  LabelRecord,
  PullRecord,
  ReactionRecord,
  RepoRecord,
} from "./state.ts";

export const BOT_LOGIN = "stamina[bot]";

export function userJson(state: FakeState, login: string): Record<string, unknown> {
  const id = state.userId(login);
  return {
    login,
    id,
    node_id: nodeId("U", id),
    type: login.endsWith("[bot]") ? "Bot" : "User",
    site_admin: false,
    html_url: `${state.url}/${login}`,
    url: `${state.url}/api/v3/users/${encodeURIComponent(login)}`,
  };
}

export function repoJson(state: FakeState, repo: RepoRecord): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  return {
    id: repo.id,
    node_id: nodeId("R", repo.id),
    name: repo.name,
    full_name: fullName,
    owner: userJson(state, repo.owner),
    private: true,
    visibility: "private",
    fork: false,
    archived: false,
    disabled: false,
    default_branch: repo.defaultBranch,
    html_url: `${state.url}/${fullName}`,
    url: `${state.url}/api/v3/repos/${fullName}`,
    clone_url: `${state.url}/${fullName}.git`,
    git_url: `${state.url}/${fullName}.git`,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
  };
}

export function commentJson(
  state: FakeState,
  repo: RepoRecord,
  comment: CommentRecord,
): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  return {
    id: comment.id,
    node_id: nodeId("IC", comment.id),
    url: `${state.url}/api/v3/repos/${fullName}/issues/comments/${comment.id}`,
    html_url: `${state.url}/${fullName}/issues/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${state.url}/api/v3/repos/${fullName}/issues/${comment.issueNumber}`,
    body: comment.body,
    user: userJson(state, comment.user),
    author_association: "NONE",
    created_at: state.iso(comment.createdAt),
    updated_at: state.iso(comment.updatedAt),
  };
}

export function reactionJson(state: FakeState, reaction: ReactionRecord): Record<string, unknown> {
  return {
    id: reaction.id,
    node_id: nodeId("REA", reaction.id),
    user: userJson(state, reaction.user),
    content: reaction.content,
    created_at: state.iso(reaction.createdAt),
  };
}

export function pullJson(
  state: FakeState,
  repo: RepoRecord,
  pull: PullRecord,
  shas: { head: string; base: string },
): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  const branch = (ref: string, sha: string): Record<string, unknown> => ({
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: userJson(state, repo.owner),
    repo: repoJson(state, repo),
  });
  const [forkOwner = "", forkName = ""] = pull.fork?.split("/") ?? [];
  const head = pull.fork
    ? {
        label: `${forkOwner}:${pull.head}`,
        ref: pull.head,
        sha: "0".repeat(40),
        user: userJson(state, forkOwner),
        repo: {
          ...repoJson(state, repo),
          id: state.userId(pull.fork),
          name: forkName,
          full_name: pull.fork,
          owner: userJson(state, forkOwner),
          fork: true,
        },
      }
    : branch(pull.head, shas.head);
  return {
    id: pull.id,
    node_id: nodeId("PR", pull.id),
    number: pull.number,
    url: `${state.url}/api/v3/repos/${fullName}/pulls/${pull.number}`,
    html_url: `${state.url}/${fullName}/pull/${pull.number}`,
    issue_url: `${state.url}/api/v3/repos/${fullName}/issues/${pull.number}`,
    state: pull.state,
    locked: false,
    title: pull.title,
    body: pull.body,
    draft: pull.draft,
    user: userJson(state, BOT_LOGIN),
    head,
    base: branch(pull.base, shas.base),
    merged: false,
    mergeable: null,
    maintainer_can_modify: false,
    created_at: state.iso(pull.createdAt),
    updated_at: state.iso(pull.updatedAt),
    closed_at: null,
    merged_at: null,
  };
}

export function checkRunJson(
  state: FakeState,
  repo: RepoRecord,
  run: CheckRunRecord,
): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  return {
    id: run.id,
    node_id: nodeId("CR", run.id),
    head_sha: run.headSha,
    external_id: run.externalId,
    url: `${state.url}/api/v3/repos/${fullName}/check-runs/${run.id}`,
    html_url: `${state.url}/${fullName}/runs/${run.id}`,
    details_url: `${state.url}/${fullName}/runs/${run.id}`,
    status: run.status,
    conclusion: run.conclusion,
    started_at: state.iso(run.startedAt),
    completed_at: run.completedAt === null ? null : state.iso(run.completedAt),
    output: {
      title: run.title,
      summary: run.summary,
      text: run.text,
      annotations_count: 0,
      annotations_url: `${state.url}/api/v3/repos/${fullName}/check-runs/${run.id}/annotations`,
    },
    name: run.name,
    check_suite: { id: run.id },
    app: { id: 1, slug: "stamina", name: "Stamina" },
    pull_requests: [],
  };
}

export function labelJson(
  state: FakeState,
  repo: RepoRecord,
  label: LabelRecord,
): Record<string, unknown> {
  return {
    id: label.id,
    node_id: nodeId("LA", label.id),
    url: `${state.url}/api/v3/repos/${repo.owner}/${repo.name}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    color: label.color,
    description: label.description,
    default: false,
  };
}

export function nodeIdOf(prefix: string, id: number): string {
  return nodeId(prefix, id);
}

function nodeId(prefix: string, id: number): string {
  return Buffer.from(`${prefix}_${id}`).toString("base64");
}

/** GitHub's defaults: 30 a page, at most 100; a Link header when there is more. */
export function paginate<T>(
  items: T[],
  query: Record<string, string>,
  pageUrl: string,
): { page: T[]; headers: Record<string, string> } {
  const perPage = Math.min(Math.max(Number(query.per_page) || 30, 1), 100);
  const page = Math.max(Number(query.page) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const link = (n: number, rel: string): string => {
    const url = new URL(pageUrl);
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
    url.searchParams.set("per_page", String(perPage));
    url.searchParams.set("page", String(n));
    return `<${url.href}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (page < last) links.push(link(page + 1, "next"), link(last, "last"));
  if (page > 1) links.push(link(1, "first"), link(page - 1, "prev"));
  return {
    page: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(", ") } : {},
  };
}
