// The label-to-pr benchmark's repositories, by shape. The full one: 10,000 files (100 folders of
// 100) and about 50 MB of packed history (the files, then 250 commits that each rewrite two
// folders with fresh random text); the small one (the small form's): 200 files and 10 commits.
// Written by `git fast-import` in a few seconds and kept under the system's tmp folder, in a
// folder named by the shape's numbers, for the next run.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RepoShape {
  folders: number;
  filesPerFolder: number;
  /** Commits after the first, each rewriting two folders. */
  commits: number;
  fileBytes: number;
}

export const FULL_REPO: RepoShape = {
  folders: 100,
  filesPerFolder: 100,
  commits: 250,
  fileBytes: 1024,
};
export const SMALL_REPO: RepoShape = {
  folders: 10,
  filesPerFolder: 20,
  commits: 10,
  fileBytes: 1024,
};

/**
 * Change it when what stream() writes changes, so an old cached repository is not used. The
 * shape's numbers are in the folder's name too, so no shape is taken for another.
 */
const VERSION = "v3";

/** The bare repository of `shape` (branch `main`), generated on first use. */
export async function bigRepository(shape: RepoShape): Promise<string> {
  const key = `${shape.folders}x${shape.filesPerFolder}-${shape.commits}c-${shape.fileBytes}b`;
  const root = join(tmpdir(), `stamina-bench-label-to-pr-${VERSION}-${key}`);
  const bare = join(root, "repo.git");
  if (existsSync(bare)) return bare;
  const partial = join(root, `repo.git.new-${process.pid}`);
  await rm(partial, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await git(["init", "--quiet", "--bare", "--initial-branch=main", partial], root);
  await git(["fast-import", "--quiet"], partial, stream(shape));
  await rename(partial, bare);
  return bare;
}

function* stream(shape: RepoShape): Generator<Buffer> {
  const { folders, filesPerFolder, commits, fileBytes } = shape;
  const path = (folder: number, file: number) =>
    `src/m${String(folder).padStart(2, "0")}/f${String(file).padStart(3, "0")}.txt`;
  const inline = (file: string, content: Buffer) =>
    Buffer.concat([
      Buffer.from(`M 100644 inline ${file}\ndata ${content.length}\n`),
      content,
      Buffer.from("\n"),
    ]);
  const text = () => Buffer.from(`${randomBytes((fileBytes * 3) / 4).toString("base64")}`);
  const header = (n: number, message: string) =>
    Buffer.from(
      `commit refs/heads/main\ncommitter Bench <bench@example.com> ${1_700_000_000 + n * 60} +0000\ndata ${message.length}\n${message}\n`,
    );

  yield header(0, "Initial files");
  yield inline(
    "README.md",
    Buffer.from("# A large repository\n\nFor the label-to-pr benchmark.\n"),
  );
  for (let folder = 0; folder < folders; folder++) {
    for (let file = 0; file < filesPerFolder; file++) yield inline(path(folder, file), text());
  }
  for (let n = 1; n <= commits; n++) {
    yield header(n, `Rewrite folders ${(2 * n) % folders} and ${(2 * n + 1) % folders}`);
    for (const folder of [(2 * n) % folders, (2 * n + 1) % folders]) {
      for (let file = 0; file < filesPerFolder; file++) yield inline(path(folder, file), text());
    }
  }
}

function git(args: string[], cwd: string, input?: Iterable<Buffer>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("git", args, {
      cwd,
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd, GIT_CONFIG_NOSYSTEM: "1" },
      stdio: [input ? "pipe" : "ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`git ${args[0]} failed (${code}): ${stderr}`)),
    );
    if (input && child.stdin) {
      const stdin = child.stdin;
      const iterator = input[Symbol.iterator]();
      const pump = () => {
        for (;;) {
          const next = iterator.next();
          if (next.done) {
            stdin.end();
            return;
          }
          if (!stdin.write(next.value)) {
            stdin.once("drain", pump);
            return;
          }
        }
      };
      pump();
    }
  });
}
