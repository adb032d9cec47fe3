// The local checkout `stamina run` works in: its top folder and config, read
// only from a clean tree, the instruction files as committed, the new branch
// the run works on, named after its task, and what becomes of that branch once
// the run ends.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { CONFIG_PATH, ConfigError, parseRepoConfig, type RepoConfig } from "../policy/config.ts";
import {
  INSTRUCTION_FILES,
  joinInstructions,
  type InstructionFile,
} from "../policy/instructions.ts";
import { createBranch, currentHead, GitError, runGit } from "../workspace/git.ts";
import { slugOf } from "../workspace/branch-slug.ts";

/** The checkout cannot be worked in, said in one sentence. */
export class CheckoutRefused extends Error {}

/** The checkout's top folder and its config; a dirty tree or a bad config is refused. */
export async function openCheckout(repo: string): Promise<{ top: string; config: RepoConfig }> {
  let top: string;
  try {
    top = (await runGit(["rev-parse", "--show-toplevel"], { cwd: repo })).stdout.trim();
    await currentHead(top);
  } catch (error) {
    if (!(error instanceof GitError) && (error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw error;
    }
    throw new CheckoutRefused(`${repo} is not a git checkout with a commit to start from.`);
  }
  const { stdout: status } = await runGit(["status", "--porcelain"], { cwd: top });
  if (status.trim() !== "") {
    throw new CheckoutRefused(
      `${top} has uncommitted changes; commit or stash them first, so Stamina's branch holds only its own work.`,
    );
  }
  const configFile = join(top, CONFIG_PATH);
  let raw: unknown = null;
  if (existsSync(configFile)) {
    try {
      raw = parseYaml(await readFile(configFile, "utf8"));
    } catch (error) {
      throw new CheckoutRefused(`${CONFIG_PATH} is not valid YAML: ${(error as Error).message}`);
    }
  }
  let config: RepoConfig;
  try {
    config = parseRepoConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) throw new CheckoutRefused(error.message);
    throw error;
  }
  const files = await committedInstructionFiles(top);
  return { top, config: { ...config, instructions: joinInstructions(config.instructions, files) } };
}

/** AGENTS.md, CLAUDE.md and Copilot's instructions as committed (the tree is clean: the same text). */
async function committedInstructionFiles(top: string): Promise<InstructionFile[]> {
  const files: InstructionFile[] = [];
  for (const path of INSTRUCTION_FILES) {
    const object = `HEAD:${path}`;
    try {
      const { stdout: type } = await runGit(["cat-file", "-t", object], { cwd: top });
      // A folder or a submodule of that name is not instructions.
      if (type.trim() !== "blob") continue;
    } catch (error) {
      if (error instanceof GitError) continue; // not in the commit
      throw error;
    }
    const { stdout: text } = await runGit(["cat-file", "blob", object], { cwd: top });
    files.push({ path, text });
  }
  return files;
}

/** `name`, or `name-2`, `name-3`… when the checkout has that branch already. */
async function freeBranchName(cwd: string, name: string): Promise<string> {
  for (let n = 1; n < 1_000; n++) {
    const candidate = n === 1 ? name : `${name}-${n}`;
    try {
      await runGit(["rev-parse", "--verify", "--quiet", `refs/heads/${candidate}`], { cwd });
    } catch (error) {
      if (error instanceof GitError && error.exitCode === 1) return candidate;
      throw error;
    }
  }
  throw new CheckoutRefused(`every branch name from ${name} to ${name}-999 is taken.`);
}

/** The branch a run works on, and where the checkout was before it. */
export interface StartedBranch {
  title: string;
  branch: string;
  baseSha: string;
  /** The branch the checkout was on; null when HEAD was detached (at baseSha). */
  from: string | null;
}

/** A branch named after the task's first line, made at the checkout's HEAD and checked out. */
export async function startBranch(top: string, task: string): Promise<StartedBranch> {
  const title = task.split("\n")[0]!.replace(/\s+/g, " ").trim().slice(0, 60);
  const branch = await freeBranchName(top, `stamina/local-${slugOf(title) || "task"}`);
  const baseSha = await currentHead(top);
  const from = await currentBranch(top);
  await createBranch(top, branch);
  return { title, branch, baseSha, from };
}

/**
 * Once a run has ended, however it ended: a branch with no commit on it and a clean tree is
 * nothing but clutter, so the checkout goes back to where it was (the same commit: no file
 * changes) and the branch is deleted. Otherwise the work stays on the branch, and the line
 * says how to get back.
 */
export async function settleBranch(top: string, started: StartedBranch): Promise<string> {
  const { branch, baseSha, from } = started;
  const back = from ?? `commit ${baseSha.slice(0, 12)}`;
  try {
    if ((await currentBranch(top)) !== branch) {
      // Someone moved the checkout during the run: leave it where they put it.
      return `Stamina's work is on ${branch}.`;
    }
    const { stdout: count } = await runGit(
      ["rev-list", "--count", `${baseSha}..refs/heads/${branch}`],
      {
        cwd: top,
      },
    );
    const { stdout: status } = await runGit(["status", "--porcelain"], { cwd: top });
    const dirty = status.trim() !== "";
    if (Number(count.trim()) === 0 && !dirty) {
      const to = from === null ? ["--detach", baseSha] : [from];
      await runGit(["switch", "--quiet", ...to], { cwd: top });
      await runGit(["branch", "--quiet", "-d", branch], { cwd: top });
      return `Nothing was committed, so the checkout is back on ${back} as it was, and the empty branch ${branch} is deleted.`;
    }
    const switchBack = from === null ? "`git switch --detach -`" : "`git switch -`";
    return dirty
      ? `The run's work is on ${branch}, with uncommitted changes in the working tree; ${switchBack} returns to ${back} and takes those along unless you commit or stash them first.`
      : `Your work is on ${branch}; ${switchBack} returns to ${back}.`;
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    return `Your work is on ${branch}; \`git switch ${from ?? `--detach ${baseSha.slice(0, 12)}`}\` returns to ${back} (git said: ${error.message}).`;
  }
}

/** The branch HEAD is on, or null when it is detached. */
async function currentBranch(cwd: string): Promise<string | null> {
  try {
    const { stdout } = await runGit(["symbolic-ref", "--quiet", "--short", "HEAD"], { cwd });
    return stdout.trim();
  } catch (error) {
    if (error instanceof GitError && error.exitCode === 1) return null;
    throw error;
  }
}
