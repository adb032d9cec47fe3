// Stamina's commits made by GitHub (`commits.signed`, the default): each commit of a push is
// recreated through the Git Data API with the installation token and no author or committer,
// so GitHub commits and signs it ("Verified", and a ruleset requiring signed commits lets it
// in); the person who asked stays credited by the `Co-authored-by` trailer in the message. Then
// the branch is moved there, and the local branch follows to GitHub's commit, whose tree is the
// one committed here, checked.
//
// Why the Git Data API and not GraphQL's `createCommitOnBranch`: that mutation takes files'
// contents only, so an executable bit, a symlink or a gitlink cannot be said, and all the files
// go base64 in one request. The Git Data API carries every tree entry as git has it (mode,
// symlink, gitlink, deletion) over the parent's tree, text inline. Its ref update without force
// refuses only a branch that is not behind the new commit, so the branch's head is read first,
// as the lease expects it, and a head that moved after that is refused by the update itself.
//
// GitHub's secondary limits count every request that creates content. Text files go inline in
// the tree request (one request per commit, or a few for a large change); only binary or large
// files get a blob request each, and a blob GitHub already has (a mode change, a rename) goes by
// its sha. The client paces writes and waits out a secondary limit (Octokit's throttling).
import type { GitDataPort, RepoRef, TreeEntryWrite } from "../github/types.ts";
import { currentHead, GitError, runGit, validBranchName } from "../workspace/git.ts";
import { streamGit } from "../workspace/git-run.ts";
import { fetchFromRemote } from "../workspace/git-remote.ts";
import { assertPushAllowed, PushRefused, type BranchLease } from "../workspace/push-guard.ts";
import { readBlobs } from "../workspace/pushed-blobs.ts";
import { RunFailure } from "./failure.ts";

/** A text file up to this size goes inline in the tree request. */
const INLINE_MAX_BYTES = 512 * 1024;
/** Inline text per tree request, past which the tree is built in more requests, each on the last. */
const TREE_REQUEST_BYTES = 4 * 1024 * 1024;
/** GitHub's API takes no blob larger than this. */
const BLOB_MAX_BYTES = 100 * 1024 * 1024;

export interface SignedTarget {
  github: GitDataPort;
  repo: RepoRef;
  worktree: string;
  url: string;
  token: () => Promise<string>;
  lease: BranchLease;
}

/**
 * What a signed push came to: the branch at GitHub's new head (and which commit of GitHub's is
 * which of the worktree's), or a branch someone moved.
 */
export type SignedPush =
  { head: string; made: Array<{ local: string; github: string }> } | { movedMeanwhile: true };

/**
 * Makes the commits of `since..HEAD` on GitHub, one on the other, moves the branch to the last
 * and the local branch with it. `committed` hears the new head before the branch moves (the
 * audit's `git.commit`). A branch that is not where the lease says is left alone.
 */
export async function pushSigned(
  target: SignedTarget,
  since: string,
  signal: AbortSignal,
  committed?: (sha: string) => Promise<void>,
): Promise<SignedPush> {
  const { github, repo, lease, worktree: cwd } = target;
  assertPushAllowed(lease);
  if (!(await validBranchName(cwd, lease.branch))) {
    throw new PushRefused(`\`${lease.branch}\` is not a valid branch name.`);
  }
  // The ref update only refuses what is not a fast-forward: where the branch is, is read first.
  if ((await github.branchHead(repo, lease.branch)) !== lease.sha) return { movedMeanwhile: true };
  const local = await currentHead(cwd);
  const commits = await commitsSince(cwd, since, signal);
  let parent = since;
  const made: Array<{ local: string; github: string }> = [];
  const objects: Array<string | null> = [];
  for (const commit of commits) {
    const created = await recreate(target, commit, parent, signal);
    made.push({ local: commit, github: created.sha });
    objects.push(created.object);
    parent = created.sha;
  }
  if (made.length === 0) return { head: since, made };
  const head = parent;
  await committed?.(head);
  const moved = await github.moveBranch(repo, {
    branch: lease.branch,
    sha: head,
    expected: lease.sha,
  });
  if (moved === "moved-meanwhile") return { movedMeanwhile: true };
  await followLocally(target, { local, github: head, made, objects }, signal);
  return { head, made };
}

/** The commits of `since..HEAD`, oldest first; a merge is refused (its parents are not ours to recreate). */
async function commitsSince(cwd: string, since: string, signal: AbortSignal): Promise<string[]> {
  const { stdout } = await runGit(["rev-list", "--reverse", "--parents", `${since}..HEAD`, "--"], {
    cwd,
    signal,
  });
  const lines = stdout.split("\n").filter((line) => line !== "");
  const merge = lines.find((line) => line.split(" ").length > 2);
  if (merge !== undefined) {
    throw new RunFailure(
      `the commits to push include a merge (${merge.slice(0, 7)}), which Stamina cannot have GitHub sign through its API; Stamina makes its commits one after another, so this branch was changed by hand in the worktree. Set \`commits.signed: false\` in .github/stamina.yml to push with git instead.`,
    );
  }
  return lines.map((line) => line.split(" ")[0] ?? "");
}

/** Commit `commit` (whose parent here is `parent`'s tree) made on GitHub on top of `parent`. */
async function recreate(
  target: SignedTarget,
  commit: string,
  parent: string,
  signal: AbortSignal,
): Promise<{ sha: string; object: string | null }> {
  const cwd = target.worktree;
  const [tree, base, message] = await Promise.all([
    treeOf(cwd, commit),
    treeOf(cwd, `${commit}~1`),
    messageOf(cwd, commit),
  ]);
  let made = base;
  for (const batch of await treeBatches(target, commit, signal)) {
    made = await target.github.createTree(target.repo, made, batch);
  }
  const created = await target.github.createCommit(target.repo, {
    message,
    tree: made,
    parents: [parent],
  });
  if (made !== tree || created.tree !== tree) {
    throw new RunFailure(
      `GitHub made commit ${commit.slice(0, 7)} with a different tree (${created.tree.slice(0, 7)}) than Stamina committed (${tree.slice(0, 7)}), so Stamina did not move the branch to it. Set \`commits.signed: false\` in .github/stamina.yml to push with git instead, and tell Stamina's maintainers.`,
    );
  }
  return { sha: created.sha, object: created.object };
}

async function treeOf(cwd: string, rev: string): Promise<string> {
  return (await runGit(["rev-parse", "--verify", `${rev}^{tree}`], { cwd })).stdout.trim();
}

/** The message exactly as committed: what follows the commit object's headers. */
async function messageOf(cwd: string, commit: string): Promise<string> {
  const raw = (await runGit(["cat-file", "commit", commit], { cwd })).stdout;
  const start = raw.indexOf("\n\n");
  return start < 0 ? "" : raw.slice(start + 2);
}

interface RawChange {
  oldMode: string;
  newMode: string;
  oldId: string;
  newId: string;
  status: string;
  path: string;
}

/** `git diff-tree -r -z` against the parent: what the commit changes, entry by entry. */
async function changesOf(cwd: string, commit: string, signal: AbortSignal): Promise<RawChange[]> {
  const args = ["diff-tree", "-r", "-z", "--no-renames", "--no-commit-id", "--no-ext-diff"];
  const { stdout } = await runGit([...args, `${commit}~1`, commit], { cwd, signal });
  const parts = stdout.split("\0");
  const changes: RawChange[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const [oldMode = "", newMode = "", oldId = "", newId = "", status = ""] = (parts[i] ?? "")
      .replace(/^:/, "")
      .split(" ");
    changes.push({ oldMode, newMode, oldId, newId, status, path: parts[i + 1] ?? "" });
  }
  return changes;
}

/** The tree entries of a commit's change, in requests of at most TREE_REQUEST_BYTES inline. */
async function treeBatches(
  target: SignedTarget,
  commit: string,
  signal: AbortSignal,
): Promise<TreeEntryWrite[][]> {
  const changes = await changesOf(target.worktree, commit, signal);
  // Blobs the parent has: GitHub has them too, so they go by sha.
  const known = new Set(changes.map((c) => c.oldId));
  const batches: TreeEntryWrite[][] = [[]];
  let inline = 0;
  for (const change of changes) {
    const entry = await entryOf(target, change, known, signal);
    const size = entry.content === undefined ? 0 : Buffer.byteLength(entry.content);
    if (inline + size > TREE_REQUEST_BYTES && batches.at(-1)!.length > 0) {
      batches.push([]);
      inline = 0;
    }
    batches.at(-1)!.push(entry);
    inline += size;
  }
  return batches.filter((batch) => batch.length > 0);
}

async function entryOf(
  target: SignedTarget,
  change: RawChange,
  known: Set<string>,
  signal: AbortSignal,
): Promise<TreeEntryWrite> {
  const { path } = change;
  if (change.status === "D") {
    const mode = asMode(change.oldMode, path);
    return { path, mode, type: mode === "160000" ? "commit" : "blob", sha: null };
  }
  const mode = asMode(change.newMode, path);
  if (mode === "160000") return { path, mode, type: "commit", sha: change.newId };
  if (known.has(change.newId)) return { path, mode, type: "blob", sha: change.newId };
  const read = (await readBlobs(target.worktree, [change.newId], BLOB_MAX_BYTES, signal)).get(
    change.newId,
  );
  if (read?.content == null) {
    throw new RunFailure(`Stamina could not read \`${path}\` to send it to GitHub.`);
  }
  if (read.truncated) {
    throw new RunFailure(
      `\`${path}\` is larger than the 100 MB GitHub takes in a file, so Stamina did not push the change.`,
    );
  }
  const text = asText(read.content);
  if (text !== null) return { path, mode, type: "blob", content: text };
  return {
    path,
    mode,
    type: "blob",
    sha: await target.github.createBlob(target.repo, read.content),
  };
}

function asMode(mode: string, path: string): TreeEntryWrite["mode"] {
  if (mode === "100644" || mode === "100755" || mode === "120000" || mode === "160000") return mode;
  throw new RunFailure(`\`${path}\` has git mode ${mode}, which Stamina cannot send to GitHub.`);
}

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The file as text when it is small UTF-8 without NUL bytes (so it goes inline, byte for byte). */
function asText(bytes: Buffer): string | null {
  if (bytes.length > INLINE_MAX_BYTES || bytes.includes(0)) return null;
  try {
    return UTF8.decode(bytes);
  } catch (error) {
    if (error instanceof TypeError) return null;
    throw error;
  }
}

/**
 * The local branch moves to GitHub's commit: written here from what GitHub answered when every
 * commit rebuilds to its id (its trees and blobs are ours already), else fetched; its tree is
 * checked against the one committed here, then HEAD set to it (the index and files are that
 * tree already).
 */
async function followLocally(
  target: SignedTarget,
  heads: {
    local: string;
    github: string;
    made: Array<{ github: string }>;
    objects: Array<string | null>;
  },
  signal: AbortSignal,
): Promise<void> {
  const cwd = target.worktree;
  const { url, token } = target;
  if (!(await writeObjects(cwd, heads.made, heads.objects))) {
    await fetchFromRemote(cwd, { url, ref: heads.github, token, signal });
  }
  const [ours, theirs] = await Promise.all([treeOf(cwd, heads.local), treeOf(cwd, heads.github)]);
  if (ours !== theirs) {
    throw new RunFailure(
      `GitHub's commit ${heads.github.slice(0, 7)} does not hold the tree Stamina committed (${ours.slice(0, 7)}), so Stamina stopped.`,
    );
  }
  await runGit(["reset", "--quiet", "--soft", heads.github], { cwd });
}

/**
 * Writes GitHub's commits into the local repository from their rebuilt objects, oldest first;
 * false (and nothing trusted) as soon as one is missing or does not hash to GitHub's id: the
 * caller fetches instead. A fetch of one commit costs a round of negotiation and a pack; this
 * costs one local git command per commit.
 */
async function writeObjects(
  cwd: string,
  made: Array<{ github: string }>,
  objects: Array<string | null>,
): Promise<boolean> {
  for (const [i, commit] of made.entries()) {
    const object = objects[i];
    if (object == null) return false;
    let written = "";
    try {
      await streamGit(
        ["hash-object", "-t", "commit", "-w", "--stdin"],
        { cwd },
        Buffer.from(object, "utf8"),
        (chunk) => (written += chunk.toString("utf8")),
      );
    } catch (error) {
      // git refused the bytes as a commit: GitHub's answer was not what it stored.
      if (error instanceof GitError) return false;
      throw error;
    }
    // A mismatch leaves one unreferenced object behind, which nothing reads.
    if (written.trim() !== commit.github) return false;
  }
  return true;
}
