// The Git Data API over the bare repository: blobs, trees (inline `content` or objects by sha,
// over a `base_tree`), commits and branch refs, as GitHub answers them. A commit made without an
// author or committer is GitHub's own, signed (a `gpgsig` header) and verified, as GitHub signs
// what an app commits through the API; one that names either is the caller's, unsigned. A ref
// moves only forward unless forced, and only to commits the repository's rules let in: workflow
// files need the `workflows` permission, a ruleset may require signatures.
import { createHash, randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { holds } from "./grants.ts";
import { listTree, objectType, runWithInput, type Git } from "./git.ts";
import { HttpError, notFound } from "./http-io.ts";
import type { RepoContext, Reply, RouteTable } from "./route.ts";
import { BOT_LOGIN } from "./shapes.ts";
import type { RepoRecord } from "./state.ts";

const MODES: Record<string, "blob" | "tree" | "commit"> = {
  "100644": "blob",
  "100755": "blob",
  "120000": "blob",
  "040000": "tree",
  "160000": "commit",
};
const ZERO = "0".repeat(40);

export const gitRoutes: RouteTable = {
  "POST /repos/{owner}/{repo}/git/blobs": { auth: "token", handle: createBlob },
  "POST /repos/{owner}/{repo}/git/trees": { auth: "token", handle: createTree },
  "POST /repos/{owner}/{repo}/git/commits": { auth: "token", handle: createCommit },
  "GET /repos/{owner}/{repo}/git/ref/{ref}": { auth: "token", handle: getRef },
  "POST /repos/{owner}/{repo}/git/refs": { auth: "token", handle: createRef },
  "PATCH /repos/{owner}/{repo}/git/refs/{ref}": { auth: "token", handle: updateRef },
};

const unprocessable = (message: string): HttpError =>
  new HttpError(422, {
    message,
    documentation_url: "https://docs.github.com/enterprise-server@3.19/rest/git",
    status: "422",
  });

const apiUrl = (ctx: RepoContext, tail: string): string =>
  `${ctx.world.state.url}/api/v3/repos/${ctx.repo.owner}/${ctx.repo.name}/git/${tail}`;

async function hashObject(git: Git, repo: RepoRecord, bytes: Buffer, type = "blob") {
  return (
    await runWithInput(git, ["hash-object", "-t", type, "-w", "--stdin"], repo.barePath, bytes)
  ).trim();
}

async function createBlob(ctx: RepoContext): Promise<Reply> {
  const { content, encoding = "utf-8" } = ctx.body as { content: string; encoding?: string };
  if (encoding !== "utf-8" && encoding !== "base64") {
    throw unprocessable(`encoding must be utf-8 or base64, not ${String(encoding)}`);
  }
  const bytes = Buffer.from(content, encoding === "base64" ? "base64" : "utf8");
  const sha = await hashObject(ctx.world.git, ctx.repo, bytes);
  return { status: 201, body: { sha, url: apiUrl(ctx, `blobs/${sha}`) } };
}

interface Entry {
  mode: string;
  sha: string;
}

async function createTree(ctx: RepoContext): Promise<Reply> {
  const { world, repo } = ctx;
  const { tree, base_tree: base } = ctx.body as { tree: unknown[]; base_tree?: string };
  const files = new Map<string, Entry>();
  if (base !== undefined) {
    if ((await objectType(world.git, repo.barePath, base)) !== "tree") {
      throw unprocessable(`base_tree ${base} is not a tree`);
    }
    await readTree(world.git, repo, base, "", files);
  }
  for (const raw of tree) {
    const entry = raw as {
      path?: unknown;
      mode?: unknown;
      type?: unknown;
      sha?: unknown;
      content?: unknown;
    };
    const path = typeof entry.path === "string" ? entry.path : "";
    const mode = typeof entry.mode === "string" ? entry.mode : "";
    if (!validPath(path))
      throw unprocessable(`tree.path ${JSON.stringify(entry.path)} is not valid`);
    const type = MODES[mode];
    if (type === undefined || type !== entry.type) {
      throw unprocessable(`tree.mode ${mode} does not go with tree.type ${String(entry.type)}`);
    }
    removeUnder(files, path);
    if (typeof entry.content === "string") {
      if (type !== "blob") throw unprocessable("tree.content is for blobs only");
      const sha = await hashObject(world.git, repo, Buffer.from(entry.content, "utf8"));
      setFile(files, path, { mode, sha });
    } else if (entry.sha === null) {
      files.delete(path);
    } else if (typeof entry.sha === "string" && /^[0-9a-f]{40}$/.test(entry.sha)) {
      const sha = entry.sha;
      // A gitlink names a commit of another repository: GitHub does not look for it.
      if (type !== "commit" && (await objectType(world.git, repo.barePath, sha)) !== type) {
        throw unprocessable(`tree.sha ${sha} is not a valid ${type}`);
      }
      if (type === "tree") await readTree(world.git, repo, sha, `${path}/`, files);
      else setFile(files, path, { mode, sha });
    } else {
      throw unprocessable("Must supply either tree.sha or tree.content");
    }
  }
  const sha = await writeTree(world.git, repo, files);
  const entries = await listTree(world.git, repo.barePath, sha);
  return {
    status: 201,
    body: {
      sha,
      url: apiUrl(ctx, `trees/${sha}`),
      tree: entries.map((e) => ({
        path: e.name,
        mode: e.mode,
        type: e.type,
        sha: e.sha,
        ...(e.type === "blob" ? { size: e.size } : {}),
        url: apiUrl(ctx, `${e.type}s/${e.sha}`),
      })),
      truncated: false,
    },
  };
}

function validPath(path: string): boolean {
  return (
    path !== "" &&
    path.split("/").every((part) => part !== "" && part !== "." && part !== ".." && part !== ".git")
  );
}

/** A file at `path` replaces whatever was under it, and any file where its folders go. */
function setFile(files: Map<string, Entry>, path: string, entry: Entry): void {
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) files.delete(parts.slice(0, i).join("/"));
  files.set(path, entry);
}

function removeUnder(files: Map<string, Entry>, path: string): void {
  for (const name of [...files.keys()]) if (name.startsWith(`${path}/`)) files.delete(name);
}

async function readTree(
  git: Git,
  repo: RepoRecord,
  tree: string,
  prefix: string,
  into: Map<string, Entry>,
) {
  const out = await git.run(["ls-tree", "-r", "-z", "--full-tree", tree], repo.barePath);
  for (const line of out.split("\0").filter(Boolean)) {
    const [meta = "", path = ""] = line.split("\t");
    const [mode = "", , sha = ""] = meta.split(" ");
    into.set(`${prefix}${path}`, { mode, sha });
  }
}

/** The tree of `files`, written through an index of its own. */
async function writeTree(git: Git, repo: RepoRecord, files: Map<string, Entry>): Promise<string> {
  const index = join(tmpdir(), `fake-github-index-${randomUUID()}`);
  try {
    const env = { GIT_INDEX_FILE: index };
    const lines = [...files].map(([path, e]) => `${e.mode} ${e.sha}\t${path}\0`).join("");
    await runWithInput(
      git,
      ["update-index", "-z", "--index-info"],
      repo.barePath,
      Buffer.from(lines),
      env,
    );
    return (await git.run(["write-tree"], repo.barePath, env)).trim();
  } finally {
    await rm(index, { force: true });
  }
}

interface Person {
  name: string;
  email: string;
  date: string;
}

async function createCommit(ctx: RepoContext): Promise<Reply> {
  const { world, repo } = ctx;
  const { state, git } = world;
  const body = ctx.body as {
    message: string;
    tree: string;
    parents?: string[];
    author?: Partial<Person>;
    committer?: Partial<Person>;
    signature?: string;
  };
  if (body.signature !== undefined) throw unprocessable("the fake GitHub takes no signatures");
  if ((await objectType(git, repo.barePath, body.tree)) !== "tree") {
    throw unprocessable(`tree ${body.tree} is not a valid tree`);
  }
  const parents = body.parents ?? [];
  for (const parent of parents) {
    if ((await objectType(git, repo.barePath, parent)) !== "commit") {
      throw unprocessable(`parent ${parent} is not a valid commit`);
    }
  }
  const now = state.iso(state.now());
  // Left to GitHub, the commit is the app's, committed and signed by GitHub.
  const signed = body.author === undefined && body.committer === undefined;
  const bot = {
    name: BOT_LOGIN,
    email: `${state.userId(BOT_LOGIN)}+${BOT_LOGIN}@users.noreply.github.com`,
  };
  const author = person(body.author ?? bot, now);
  const committer = signed
    ? person({ name: "GitHub", email: "noreply@github.com" }, now)
    : person(body.committer ?? body.author ?? bot, now);
  const head = [
    `tree ${body.tree}`,
    ...parents.map((p) => `parent ${p}`),
    `author ${identity(author)}`,
    `committer ${identity(committer)}`,
  ];
  const payload = `${head.join("\n")}\n\n${body.message}`;
  const signature = signed
    ? `-----BEGIN PGP SIGNATURE-----\n\nfake-github ${createHash("sha256").update(payload).digest("hex")}\n-----END PGP SIGNATURE-----`
    : null;
  const raw =
    signature === null
      ? payload
      : `${head.join("\n")}\ngpgsig ${signature.split("\n").join("\n ")}\n\n${body.message}`;
  const sha = await hashObject(git, repo, Buffer.from(raw, "utf8"), "commit");
  if (signed) state.signedCommits.add(sha);
  return {
    status: 201,
    body: {
      sha,
      node_id: Buffer.from(`C_${sha}`).toString("base64"),
      url: apiUrl(ctx, `commits/${sha}`),
      html_url: `${state.url}/${repo.owner}/${repo.name}/commit/${sha}`,
      author,
      committer,
      message: body.message,
      tree: { sha: body.tree, url: apiUrl(ctx, `trees/${body.tree}`) },
      parents: parents.map((p) => ({
        sha: p,
        url: apiUrl(ctx, `commits/${p}`),
        html_url: `${state.url}/${repo.owner}/${repo.name}/commit/${p}`,
      })),
      verification: signed
        ? { verified: true, reason: "valid", signature, payload, verified_at: now }
        : {
            verified: false,
            reason: "unsigned",
            signature: null,
            payload: null,
            verified_at: null,
          },
    },
  };
}

function person(p: Partial<Person>, now: string): Person {
  const { name, email } = p;
  if (typeof name !== "string" || typeof email !== "string" || /[<>\n]/.test(name + email)) {
    throw unprocessable("author and committer need a name and an email");
  }
  return { name, email, date: p.date ?? now };
}

function identity(p: Person): string {
  return `${p.name} <${p.email}> ${Math.floor(Date.parse(p.date) / 1000)} +0000`;
}

async function refSha(git: Git, repo: RepoRecord, ref: string): Promise<string | undefined> {
  const out = await git
    .run(["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], repo.barePath)
    .catch(() => "");
  return out.trim() || undefined;
}

function refJson(ctx: RepoContext, ref: string, sha: string) {
  return {
    ref,
    node_id: Buffer.from(`REF_${ref}`).toString("base64"),
    url: apiUrl(ctx, ref),
    object: { type: "commit", sha, url: apiUrl(ctx, `commits/${sha}`) },
  };
}

async function getRef(ctx: RepoContext): Promise<Reply> {
  const ref = `refs/${ctx.params.ref ?? ""}`;
  const sha = ref.startsWith("refs/heads/")
    ? await refSha(ctx.world.git, ctx.repo, ref)
    : undefined;
  if (sha === undefined) return { status: 404, body: notFound().body };
  return { status: 200, body: refJson(ctx, ref, sha) };
}

async function createRef(ctx: RepoContext): Promise<Reply> {
  const { ref, sha } = ctx.body as { ref: string; sha: string };
  if (!/^refs\/heads\/./.test(ref)) throw unprocessable(`${ref} is not a valid ref name`);
  const { git } = ctx.world;
  if ((await objectType(git, ctx.repo.barePath, sha)) !== "commit")
    throw unprocessable("Object does not exist");
  if ((await refSha(git, ctx.repo, ref)) !== undefined)
    throw unprocessable("Reference already exists");
  await holdRules(ctx, `${sha} --not --all`);
  await git.run(["update-ref", ref, sha, ZERO], ctx.repo.barePath).catch(() => {
    throw unprocessable("Reference already exists");
  });
  return { status: 201, body: refJson(ctx, ref, sha) };
}

async function updateRef(ctx: RepoContext): Promise<Reply> {
  const ref = `refs/${ctx.params.ref ?? ""}`;
  const { sha, force = false } = ctx.body as { sha: string; force?: boolean };
  const { git } = ctx.world;
  const current = ref.startsWith("refs/heads/") ? await refSha(git, ctx.repo, ref) : undefined;
  if (current === undefined) throw unprocessable("Reference does not exist");
  if ((await objectType(git, ctx.repo.barePath, sha)) !== "commit")
    throw unprocessable("Object does not exist");
  const forward = await git
    .run(["merge-base", "--is-ancestor", current, sha], ctx.repo.barePath)
    .then(
      () => true,
      () => false,
    );
  if (!force && !forward) throw unprocessable("Update is not a fast forward");
  await holdRules(ctx, `${current}..${sha}`);
  await git.run(["update-ref", ref, sha, current], ctx.repo.barePath).catch(() => {
    throw unprocessable("Update is not a fast forward");
  });
  return { status: 200, body: refJson(ctx, ref, sha) };
}

/** The push rules a ref update obeys too: workflow files, and a ruleset's signatures. */
async function holdRules(ctx: RepoContext, range: string): Promise<void> {
  const { git, state } = ctx.world;
  const args = range.split(" ");
  if (!holds(ctx.token, [["workflows", "write"]])) {
    const out = await git.run(
      ["log", "--name-only", "--format=", ...args, "--", ".github/workflows"],
      ctx.repo.barePath,
    );
    const file = out.split("\n").find(Boolean);
    if (file !== undefined) {
      throw unprocessable(
        `refusing to allow a GitHub App to create or update workflow \`${file}\` without \`workflows\` permission`,
      );
    }
  }
  if (ctx.repo.signedOnly === true) {
    const commits = (await git.run(["rev-list", ...args], ctx.repo.barePath))
      .split("\n")
      .filter(Boolean);
    if (commits.some((c) => !state.signedCommits.has(c))) {
      throw new HttpError(422, {
        message: "Repository rule violations found\n\nCommits must have verified signatures.\n\n",
        status: "422",
      });
    }
  }
}
