// The permission each GitHub call a run makes needs, so its token names that and nothing more
// (GitHub's reference, "Fine-grained access" of each endpoint). A call with no entry here throws:
// a new call must be declared before it can run, so none silently gets a wide token.
export type Permissions = Record<string, "read" | "write">;

const REPO = "/repos/{owner}/{repo}";

const ROUTES: Record<string, Permissions> = {
  [`GET ${REPO}`]: { metadata: "read" },
  [`GET ${REPO}/collaborators/{username}/permission`]: { metadata: "read" },
  [`GET ${REPO}/contents/{path}`]: { contents: "read" },
  // The Git Data API: Stamina's commits made by GitHub (runs/signed-push.ts). Its writes get
  // `workflows` too where the installation granted it (client.ts), as git's pushes do.
  [`GET ${REPO}/git/ref/{ref}`]: { contents: "read" },
  [`POST ${REPO}/git/blobs`]: { contents: "write" },
  [`POST ${REPO}/git/trees`]: { contents: "write" },
  [`POST ${REPO}/git/commits`]: { contents: "write" },
  [`POST ${REPO}/git/refs`]: { contents: "write" },
  [`PATCH ${REPO}/git/refs/{ref}`]: { contents: "write" },
  // Issue comments and labels serve pull requests too; `issues` is enough for both.
  [`POST ${REPO}/issues/{issue_number}/comments`]: { issues: "write" },
  [`GET ${REPO}/issues/{issue_number}/comments`]: { issues: "read" },
  [`PATCH ${REPO}/issues/comments/{comment_id}`]: { issues: "write" },
  [`POST ${REPO}/issues/{issue_number}/reactions`]: { issues: "write" },
  [`POST ${REPO}/issues/comments/{comment_id}/reactions`]: { issues: "write" },
  [`GET ${REPO}/labels/{name}`]: { issues: "read" },
  [`POST ${REPO}/labels`]: { issues: "write" },
  [`GET ${REPO}/issues/{issue_number}/labels`]: { issues: "read" },
  [`POST ${REPO}/issues/{issue_number}/labels`]: { issues: "write" },
  [`DELETE ${REPO}/issues/{issue_number}/labels/{name}`]: { issues: "write" },
  [`POST ${REPO}/pulls`]: { pull_requests: "write" },
  [`GET ${REPO}/pulls`]: { pull_requests: "read" },
  [`GET ${REPO}/pulls/{pull_number}`]: { pull_requests: "read" },
  [`PATCH ${REPO}/pulls/{pull_number}`]: { pull_requests: "write" },
  [`POST ${REPO}/pulls/{pull_number}/comments/{comment_id}/replies`]: { pull_requests: "write" },
  [`POST ${REPO}/check-runs`]: { checks: "write" },
  [`PATCH ${REPO}/check-runs/{check_run_id}`]: { checks: "write" },
  [`GET ${REPO}/commits/{ref}/check-runs`]: { checks: "read" },
};

/** The GraphQL operations runs send, by the field they name: all on pull requests. */
const GRAPHQL: Array<[RegExp, Permissions]> = [
  [
    /\b(?:resolveReviewThread|markPullRequestReadyForReview|convertPullRequestToDraft)\b/,
    { pull_requests: "write" },
  ],
  [/\breviewThreads\b/, { pull_requests: "read" }],
];

/** A route's path after the repository, as a pattern: `/issues/{issue_number}` → `/issues/[^/]+`. */
const COMPILED = Object.entries(ROUTES).map(([key, permissions]) => {
  const [method = "", template = ""] = key.split(" ");
  const tail = template.slice(REPO.length).replace(/\{[^}]+\}/g, "[^/]+");
  return { method, pattern: new RegExp(`^${tail}$`), permissions };
});

/** `/repos/o/r` or, in the Link headers of later pages, `/repositories/123`. */
const REPO_PATH = /\/(?:repos\/[^/]+\/[^/]+|repositories\/\d+)(?=\/|$)/;

/**
 * What the request needs, from its method and its route (a template such as
 * `/repos/{owner}/{repo}/pulls`, or the absolute URL of a later page); for GraphQL, from the
 * query. Throws for a call nothing declares.
 */
export function permissionsFor(method: string, url: string, query?: unknown): Permissions {
  if (/(?:^|\/)graphql$/.test(url)) {
    const text = typeof query === "string" ? query : "";
    const found = GRAPHQL.find(([pattern]) => pattern.test(text));
    if (found) return found[1];
    throw new Error(`no permission is declared for the GraphQL query ${text.slice(0, 80)}`);
  }
  const declared = ROUTES[`${method} ${url}`];
  if (declared) return declared;
  const path = url.includes("://") ? new URL(url).pathname : url.split("?")[0];
  const repo = REPO_PATH.exec(path ?? "");
  if (repo && path) {
    const tail = path.slice(repo.index + repo[0].length);
    const found = COMPILED.find((r) => r.method === method && r.pattern.test(tail));
    if (found) return found.permissions;
  }
  throw new Error(`no permission is declared for ${method} ${url}`);
}
