// The git side of `/stamina rollback`: a new commit on top of the branch whose
// tree is an earlier commit's (never a reset, never a force-push), and the
// commits on the branch that are not Stamina's, to name them when the
// rollback undoes them. Local commands only; the push is git-remote.ts's.
import { assertSafeRepoConfig } from "./git-config-guard.ts";
import { runGit } from "./git-run.ts";
import type { Identity } from "./git.ts";

/** The tree a commit points at. */
export async function treeOf(cwd: string, sha: string): Promise<string> {
  const { stdout } = await runGit(["rev-parse", "--verify", `${sha}^{tree}`], { cwd });
  return stdout.trim();
}

/**
 * Writes a commit with `tree`'s tree on top of `parent` (no working tree involved) and
 * returns its sha. The history keeps every commit after the restored one.
 */
export async function commitTreeOnTop(
  cwd: string,
  opts: { tree: string; parent: string; message: string; author: Identity; committer: Identity },
): Promise<string> {
  await assertSafeRepoConfig(cwd);
  const tree = await treeOf(cwd, opts.tree);
  const { stdout } = await runGit(["commit-tree", tree, "-p", opts.parent, "-m", opts.message], {
    cwd,
    env: {
      GIT_AUTHOR_NAME: opts.author.name,
      GIT_AUTHOR_EMAIL: opts.author.email,
      GIT_COMMITTER_NAME: opts.committer.name,
      GIT_COMMITTER_EMAIL: opts.committer.email,
    },
  });
  return stdout.trim();
}

export interface ForeignCommit {
  sha: string;
  author: string;
  subject: string;
}

/** Commits reachable from `tip` and from none of `known` (the ones Stamina pushed, and its base). */
export async function commitsSince(
  cwd: string,
  tip: string,
  known: string[],
): Promise<ForeignCommit[]> {
  const { stdout } = await runGit(
    ["log", "--format=%H%x00%an%x00%s%x00", tip, "--not", ...known, "--"],
    { cwd },
  );
  const fields = stdout.split("\0").map((f) => f.replace(/^\n/, ""));
  const commits: ForeignCommit[] = [];
  for (let i = 0; i + 2 < fields.length; i += 3) {
    commits.push({ sha: fields[i]!, author: fields[i + 1]!, subject: fields[i + 2]! });
  }
  return commits;
}
