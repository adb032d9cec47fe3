// The step benchmark's worktree: `folders` folders of 100 small source files
// (25 one-line constants each, about 1 KB), in one commit written by
// `git fast-import` and checked out, so 10,000 files take a second or two.
// Each side of each round starts from the worktree a run starts from: a fresh
// checkout of that commit (the script edits and creates files). Fresh matters
// to git: files written in the same second as the index are "racily clean",
// and git reads them again to tell whether they changed, until the index is
// written anew; a worktree left from the last side would not be.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";

export const FILES_PER_FOLDER = 100;
const LINES_PER_FILE = 25;

export const folderName = (m: number) => `m${String(m).padStart(2, "0")}`;
export const filePath = (m: number, f: number) =>
  `src/${folderName(m)}/f${String(f).padStart(3, "0")}.ts`;
/** The identifier on line `l` of a file: unique in the repository, so an edit's old text is too. */
export const constant = (m: number, f: number, l: number) => `value_${m}_${f}_${l}`;

const fileText = (m: number, f: number) =>
  Array.from(
    { length: LINES_PER_FILE },
    (_, l) => `export const ${constant(m, f, l)} = ${l};\n`,
  ).join("");

/** A repository in `dir` with `folders` × 100 files and a tiny test script, checked out; its commit. */
export function createStepRepository(dir: string, folders: number): string {
  mkdirSync(dir, { recursive: true });
  git(dir, ["init", "--quiet", "--initial-branch=main"]);
  const parts: Buffer[] = [];
  const inline = (path: string, content: string) => {
    const bytes = Buffer.from(content);
    parts.push(
      Buffer.from(`M 100644 inline ${path}\ndata ${bytes.length}\n`),
      bytes,
      Buffer.from("\n"),
    );
  };
  const message = "The benchmark's files";
  parts.push(
    Buffer.from(
      `commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\ndata ${message.length}\n${message}\n`,
    ),
  );
  // The project's "tests": the agent's command step runs it.
  inline("check.sh", `grep -c "export const" src/${folderName(0)}/*.ts | tail -n 3\n`);
  for (let m = 0; m < folders; m++) {
    for (let f = 0; f < FILES_PER_FOLDER; f++) inline(filePath(m, f), fileText(m, f));
  }
  git(dir, ["fast-import", "--quiet"], Buffer.concat(parts));
  git(dir, ["reset", "--hard", "--quiet", "main"]);
  return git(dir, ["rev-parse", "HEAD"]).trim();
}

/**
 * The worktree a fresh checkout of `sha` leaves, as a run's does: the last side's edits, new
 * files and commits gone, and every file and the index written again, within the same second.
 */
export function resetStepRepository(dir: string, sha: string): void {
  git(dir, ["reset", "--hard", "--quiet", sha]);
  git(dir, ["clean", "-fdxq"]);
  // Without an index, `reset --hard` writes every file again, as a checkout does.
  rmSync(join(dir, ".git", "index"));
  git(dir, ["reset", "--hard", "--quiet", sha]);
}

function git(cwd: string, args: string[], input?: Buffer): string {
  const result = spawnSync("git", args, {
    cwd,
    input,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: "1",
      GIT_AUTHOR_NAME: "Bench",
      GIT_AUTHOR_EMAIL: "bench@example.com",
      GIT_COMMITTER_NAME: "Bench",
      GIT_COMMITTER_EMAIL: "bench@example.com",
    },
  });
  if (result.status !== 0)
    throw new Error(`git ${args[0]} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}
