// The label-to-pr benchmark's repository: 10,000 files (100 folders of 100)
// and about 50 MB of packed history (the files, then 250 commits that each rewrite
// two folders with fresh random text), written by `git fast-import` in a few
// seconds and kept under the system's tmp folder for the next run.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FOLDERS = 100;
const FILES_PER_FOLDER = 100;
const COMMITS = 250;
const FILE_BYTES = 1024;
/** Change it when the shape above changes, so an old cached repository is not used. */
const VERSION = "v2";

export const BIG_REPO = {
  files: FOLDERS * FILES_PER_FOLDER + 1,
  commits: COMMITS + 1,
  historyBytes: (FOLDERS * FILES_PER_FOLDER + COMMITS * 2 * FILES_PER_FOLDER) * FILE_BYTES,
};

/** The bare repository (branch `main`), generated on first use. */
export async function bigRepository(): Promise<string> {
  const root = join(tmpdir(), `stamina-bench-label-to-pr-${VERSION}`);
  const bare = join(root, "repo.git");
  if (existsSync(bare)) return bare;
  const partial = join(root, `repo.git.new-${process.pid}`);
  await rm(partial, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  await git(["init", "--quiet", "--bare", "--initial-branch=main", partial], root);
  await git(["fast-import", "--quiet"], partial, stream());
  await rename(partial, bare);
  return bare;
}

function* stream(): Generator<Buffer> {
  const path = (folder: number, file: number) =>
    `src/m${String(folder).padStart(2, "0")}/f${String(file).padStart(3, "0")}.txt`;
  const inline = (file: string, content: Buffer) =>
    Buffer.concat([
      Buffer.from(`M 100644 inline ${file}\ndata ${content.length}\n`),
      content,
      Buffer.from("\n"),
    ]);
  const text = () => Buffer.from(`${randomBytes((FILE_BYTES * 3) / 4).toString("base64")}`);
  const header = (n: number, message: string) =>
    Buffer.from(
      `commit refs/heads/main\ncommitter Bench <bench@example.com> ${1_700_000_000 + n * 60} +0000\ndata ${message.length}\n${message}\n`,
    );

  yield header(0, "Initial files");
  yield inline(
    "README.md",
    Buffer.from("# A large repository\n\nFor the label-to-pr benchmark.\n"),
  );
  for (let folder = 0; folder < FOLDERS; folder++) {
    for (let file = 0; file < FILES_PER_FOLDER; file++) yield inline(path(folder, file), text());
  }
  for (let n = 1; n <= COMMITS; n++) {
    yield header(n, `Rewrite folders ${(2 * n) % FOLDERS} and ${(2 * n + 1) % FOLDERS}`);
    for (const folder of [(2 * n) % FOLDERS, (2 * n + 1) % FOLDERS]) {
      for (let file = 0; file < FILES_PER_FOLDER; file++) yield inline(path(folder, file), text());
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
