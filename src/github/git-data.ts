// GitHub's Git Data API over an installation client: blobs, trees, commits and the branch ref.
// A commit made here without an author or committer is the app's, committed and signed by
// GitHub ("Verified"), which is what a ruleset requiring signed commits asks for
// (runs/signed-push.ts builds Stamina's commits with it).
import type { InstallationOctokit } from "./client.ts";
import { isStatus } from "./permissions.ts";
import type { BranchMove, CreatedCommit, RepoRef, TreeEntryWrite } from "./types.ts";

type Repo = Pick<RepoRef, "owner" | "repo">;

/** The commit the branch points at on GitHub; null when there is no such branch. */
export async function branchHead(
  octokit: InstallationOctokit,
  ref: Repo,
  branch: string,
): Promise<string | null> {
  try {
    const { data } = await octokit.rest.git.getRef({ ...ref, ref: `heads/${branch}` });
    return data.object.sha;
  } catch (error) {
    if (isStatus(error, 404)) return null;
    throw error;
  }
}

export async function createBlob(
  octokit: InstallationOctokit,
  ref: Repo,
  content: Buffer,
): Promise<string> {
  const { data } = await octokit.rest.git.createBlob({
    ...ref,
    content: content.toString("base64"),
    encoding: "base64",
  });
  return data.sha;
}

export async function createTree(
  octokit: InstallationOctokit,
  ref: Repo,
  base: string,
  entries: TreeEntryWrite[],
): Promise<string> {
  const { data } = await octokit.rest.git.createTree({ ...ref, base_tree: base, tree: entries });
  return data.sha;
}

/** A commit with neither author nor committer: GitHub's to fill in, and to sign. */
export async function createCommit(
  octokit: InstallationOctokit,
  ref: Repo,
  commit: { message: string; tree: string; parents: string[] },
): Promise<CreatedCommit> {
  const { data } = await octokit.rest.git.createCommit({ ...ref, ...commit });
  return {
    sha: data.sha,
    tree: data.tree.sha,
    parents: data.parents.map((p) => p.sha),
    message: data.message,
    author: data.author,
    committer: data.committer,
    verified: data.verification.verified,
    object: storedObject(data.verification),
  };
}

/**
 * The commit object as GitHub stored it, rebuilt from the payload GitHub signed and the signature
 * (git writes `gpgsig` last among the headers, its lines continued by a space); null without
 * both. Whoever writes it checks that it hashes to the commit's id.
 */
export function storedObject(verification: {
  payload?: string | null;
  signature?: string | null;
}): string | null {
  const { payload, signature } = verification;
  if (!payload || !signature) return null;
  const end = payload.indexOf("\n\n");
  if (end < 0) return null;
  const value = signature.replace(/\n$/, "").split("\n").join("\n ");
  return `${payload.slice(0, end)}\ngpgsig ${value}${payload.slice(end)}`;
}

/**
 * Creates the branch at `sha` (`expected` null: it must not exist yet) or moves it there without
 * force, which GitHub refuses unless `sha` comes after where the branch is. Either refusal is
 * `moved-meanwhile`; any other (a rule of the repository) throws.
 */
export async function moveBranch(
  octokit: InstallationOctokit,
  ref: Repo,
  move: { branch: string; sha: string; expected: string | null },
): Promise<BranchMove> {
  try {
    if (move.expected === null) {
      await octokit.rest.git.createRef({ ...ref, ref: `refs/heads/${move.branch}`, sha: move.sha });
    } else {
      await octokit.rest.git.updateRef({
        ...ref,
        ref: `heads/${move.branch}`,
        sha: move.sha,
        force: false,
      });
    }
    return "moved";
  } catch (error) {
    if (isStatus(error, 422) && /already exists|not a fast.forward/i.test(messageOf(error))) {
      return "moved-meanwhile";
    }
    throw error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
