// The local checkout `stamina run` works in: its top folder and config, read
// only from a clean tree, the instruction files as committed, and the new
// branch the run works on, named after its task.
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

/** A branch named after the task's first line, made at the checkout's HEAD and checked out. */
export async function startBranch(
  top: string,
  task: string,
): Promise<{ title: string; branch: string; baseSha: string }> {
  const title = task.split("\n")[0]!.replace(/\s+/g, " ").trim().slice(0, 60);
  const branch = await freeBranchName(top, `stamina/local-${slugOf(title) || "task"}`);
  const baseSha = await currentHead(top);
  await createBranch(top, branch);
  return { title, branch, baseSha };
}
