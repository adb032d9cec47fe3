// REST routes about a repository itself: its metadata, file contents read from the bare repo,
// and a user's permission on it.
import { listTree, objectType } from "./git.ts";
import { notFound } from "./http-io.ts";
import type { RepoContext, Reply, RouteTable } from "./route.ts";
import { repoJson, userJson } from "./shapes.ts";
import type { Permission } from "./types.ts";

export const repoRoutes: RouteTable = {
  "GET /repos/{owner}/{repo}": {
    auth: "token",
    handle: ({ world, repo }) => ({ status: 200, body: repoJson(world.state, repo) }),
  },
  "GET /repos/{owner}/{repo}/contents/{path}": { auth: "token", handle: getContents },
  "GET /repos/{owner}/{repo}/collaborators/{username}/permission": {
    auth: "token",
    handle: ({ world, repo, params }) => {
      const username = params.username ?? "";
      const permission = world.state.permission(repo.owner, repo.name, username);
      // The fake knows only the users a test named; anyone else does not exist, which GitHub answers with 404.
      if (!permission) return { status: 404, body: notFound().body };
      return {
        status: 200,
        body: {
          permission: LEGACY[permission],
          role_name: permission,
          user: {
            ...userJson(world.state, username),
            permissions: flags(permission),
            role_name: permission,
          },
        },
      };
    },
  },
};

/** GitHub maps maintain to write and triage to read in `permission`; `role_name` keeps the role. */
const LEGACY: Record<Permission, string> = {
  admin: "admin",
  maintain: "write",
  write: "write",
  triage: "read",
  read: "read",
  none: "none",
};

const RANK: Permission[] = ["none", "read", "triage", "write", "maintain", "admin"];

function flags(permission: Permission): Record<string, boolean> {
  const rank = RANK.indexOf(permission);
  return {
    admin: rank >= RANK.indexOf("admin"),
    maintain: rank >= RANK.indexOf("maintain"),
    push: rank >= RANK.indexOf("write"),
    triage: rank >= RANK.indexOf("triage"),
    pull: rank >= RANK.indexOf("read"),
  };
}

async function getContents({ world, repo, params, query, headers }: RepoContext): Promise<Reply> {
  const path = (params.path ?? "").replace(/^\/+|\/+$/g, "");
  const ref = query.ref ?? repo.defaultBranch;
  const object = `${ref}:${path}`;
  const missing: Reply = { status: 404, body: notFound().body };
  if (ref.startsWith("-")) return missing;
  const type = await objectType(world.git, repo.barePath, object);
  const fullName = `${repo.owner}/${repo.name}`;
  const api = `${world.state.url}/api/v3/repos/${fullName}/contents`;
  const entryJson = (entryPath: string, sha: string, size: number, kind: string) => ({
    type: kind,
    name: entryPath.split("/").pop() ?? entryPath,
    path: entryPath,
    sha,
    size,
    url: `${api}/${entryPath}?ref=${encodeURIComponent(ref)}`,
    html_url: `${world.state.url}/${fullName}/blob/${ref}/${entryPath}`,
    git_url: `${world.state.url}/api/v3/repos/${fullName}/git/blobs/${sha}`,
    download_url: kind === "file" ? `${world.state.url}/${fullName}/raw/${ref}/${entryPath}` : null,
  });

  if (type === "tree") {
    const entries = await listTree(world.git, repo.barePath, object);
    const body = entries.map((e) => {
      const entryPath = path ? `${path}/${e.name}` : e.name;
      return entryJson(
        entryPath,
        e.sha,
        e.size,
        e.type === "tree" ? "dir" : e.type === "commit" ? "submodule" : "file",
      );
    });
    return { status: 200, body };
  }
  if (type !== "blob") return missing;

  const sha = (
    await world.git.run(
      ["rev-parse", "--verify", "--quiet", "--end-of-options", object],
      repo.barePath,
    )
  ).trim();
  const content = await world.git.runBuffer(["cat-file", "blob", sha], repo.barePath);
  if (wantsRaw(headers.accept)) return { status: 200, text: content };
  return {
    status: 200,
    body: {
      ...entryJson(path, sha, content.length, "file"),
      encoding: "base64",
      content: (content.toString("base64").match(/.{1,60}/g) ?? []).join("\n") + "\n",
    },
  };
}

/** `application/vnd.github.v3.raw`, `application/vnd.github.raw`, `...raw+json`. */
function wantsRaw(accept: string | undefined): boolean {
  return /application\/vnd\.github(\.v3)?\.raw\b/i.test(accept ?? "");
}
