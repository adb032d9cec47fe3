// What an installation token may do, as GitHub decides it: the token names its repositories
// (all of the installation's when it named none) and its permissions (all the installation's
// when it asked for none). The app's permissions are what app.yml declares, and `workflows`
// where the operator granted it. A repository outside the token is a 404, as if it were not
// there; a permission it lacks is a 403 "Resource not accessible by integration".
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { HttpError, notFound } from "./http-io.ts";
import type { FakeState, RepoRecord, TokenRecord } from "./state.ts";

type Level = "read" | "write";
export type Grants = Record<string, Level>;
/** A route's need: any one of these permissions at its level (or write) will do. */
export type Need = ReadonlyArray<readonly [permission: string, level: Level]>;

let declared: Grants | undefined;

/** app.yml's `default_permissions`, read once. */
export function appPermissions(): Grants {
  declared ??= (
    parse(readFileSync(new URL("../../../app.yml", import.meta.url), "utf8")) as {
      default_permissions: Grants;
    }
  ).default_permissions;
  return declared;
}

/** What an installation granted the app: app.yml's permissions, and `workflows` if granted. */
export function installationPermissions(state: FakeState, installationId: number): Grants {
  return {
    ...appPermissions(),
    ...(state.workflowsGranted.has(installationId) ? { workflows: "write" as const } : {}),
  };
}

const unprocessable = (message: string): HttpError =>
  new HttpError(422, {
    message,
    documentation_url:
      "https://docs.github.com/enterprise-server@3.19/rest/apps/apps#create-an-installation-access-token-for-an-app",
    status: "422",
  });

const covers = (held: Level | undefined, wanted: Level): boolean =>
  held === "write" || (held === "read" && wanted === "read");

/**
 * The token a request for `body` gets, or GitHub's 422: a permission the installation did not
 * grant, or a repository that is not the installation's.
 */
export function grantToken(
  state: FakeState,
  installationId: number,
  body: Record<string, unknown>,
): Pick<TokenRecord, "repositoryIds" | "permissions"> {
  const granted = installationPermissions(state, installationId);
  const asked = body.permissions as Grants | undefined;
  for (const [name, level] of Object.entries(asked ?? {})) {
    if (!covers(granted[name], level)) {
      throw unprocessable("The permissions requested are not granted to this installation.");
    }
  }
  const ids = body.repository_ids as number[] | undefined;
  const names = body.repositories as string[] | undefined;
  const mine = [...state.reposList()].filter((r) => r.installationId === installationId);
  let repositoryIds: number[] | "all" = "all";
  if (ids !== undefined || names !== undefined) {
    const chosen = [
      ...(ids ?? []).map((id) => mine.find((r) => r.id === id)),
      ...(names ?? []).map((name) => mine.find((r) => r.name.toLowerCase() === name.toLowerCase())),
    ];
    if (chosen.some((r) => r === undefined)) {
      throw unprocessable(
        "There is at least one repository that does not exist or is not accessible to the parent installation.",
      );
    }
    repositoryIds = [...new Set(chosen.map((r) => (r as RepoRecord).id))];
  }
  // Every token may read metadata, asked for or not.
  const permissions: Grants = asked ? { metadata: "read", ...asked } : { ...granted };
  return { repositoryIds, permissions };
}

/** Whether the token reaches the repository at all (else GitHub answers as if it were not there). */
export function reaches(token: TokenRecord, repo: RepoRecord): boolean {
  if (repo.installationId !== token.installationId) return false;
  return token.repositoryIds === "all" || token.repositoryIds.includes(repo.id);
}

/** Whether the token holds one of the permissions the need names. */
export function holds(token: TokenRecord, need: Need): boolean {
  return need.some(([name, level]) => covers(token.permissions[name], level));
}

export const notAccessible = (): HttpError =>
  new HttpError(403, {
    message: "Resource not accessible by integration",
    documentation_url: "https://docs.github.com/enterprise-server@3.19/rest",
    status: "403",
  });

/** Throws GitHub's 404 for a repository the token does not reach, 403 for a permission it lacks. */
export function requireAccess(token: TokenRecord, repo: RepoRecord, need: Need): void {
  if (!reaches(token, repo)) throw notFound();
  if (!holds(token, need)) throw notAccessible();
}

const issues = (level: Level): Need => [
  ["issues", level],
  ["pull_requests", level],
];

/** The permission each REST route of the fake needs, from GitHub's reference ("Fine-grained access"). */
export const ROUTE_NEEDS: Record<string, Need> = {
  "GET /repos/{owner}/{repo}": [["metadata", "read"]],
  "GET /repos/{owner}/{repo}/contents/{path}": [["contents", "read"]],
  "POST /repos/{owner}/{repo}/git/blobs": [["contents", "write"]],
  "POST /repos/{owner}/{repo}/git/trees": [["contents", "write"]],
  "POST /repos/{owner}/{repo}/git/commits": [["contents", "write"]],
  "GET /repos/{owner}/{repo}/git/ref/{ref}": [["contents", "read"]],
  "POST /repos/{owner}/{repo}/git/refs": [["contents", "write"]],
  "PATCH /repos/{owner}/{repo}/git/refs/{ref}": [["contents", "write"]],
  "GET /repos/{owner}/{repo}/collaborators/{username}/permission": [["metadata", "read"]],
  "POST /repos/{owner}/{repo}/check-runs": [["checks", "write"]],
  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": [["checks", "write"]],
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}": [["checks", "read"]],
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs": [["checks", "read"]],
  "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": issues("write"),
  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments": issues("read"),
  "GET /repos/{owner}/{repo}/issues/comments/{comment_id}": issues("read"),
  "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}": issues("write"),
  "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": issues("write"),
  "POST /repos/{owner}/{repo}/issues/{issue_number}/reactions": issues("write"),
  "GET /repos/{owner}/{repo}/labels/{name}": issues("read"),
  "POST /repos/{owner}/{repo}/labels": issues("write"),
  "GET /repos/{owner}/{repo}/issues/{issue_number}/labels": issues("read"),
  "POST /repos/{owner}/{repo}/issues/{issue_number}/labels": issues("write"),
  "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}": issues("write"),
  "POST /repos/{owner}/{repo}/pulls": [["pull_requests", "write"]],
  "GET /repos/{owner}/{repo}/pulls": [["pull_requests", "read"]],
  "GET /repos/{owner}/{repo}/pulls/{pull_number}": [["pull_requests", "read"]],
  "PATCH /repos/{owner}/{repo}/pulls/{pull_number}": [["pull_requests", "write"]],
  "POST /repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies": [
    ["pull_requests", "write"],
  ],
};
