// Opening the worktree's files from its root fd: a folder the agent's shell
// keeps swapping for a symlink to outside never leads the editor out, FIFOs and
// devices are refused without blocking, symlinks that stay inside still work,
// and no fd is left open.
import { execFileSync, spawn } from "node:child_process";
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  editorInputSchema,
  executeEditorCommand,
  PathOutsideWorkspaceError,
  ToolInputError,
} from "../../src/workspace/files.ts";
import { withWorktreeEntry } from "../../src/workspace/worktree-fs.ts";
import { machineNeed } from "../support/machine.ts";
import { removeTempDirs, tempDir } from "./helpers.ts";

let root = "";
let outside = "";

beforeEach(() => {
  const base = tempDir("stamina-worktree-fs-");
  root = join(base, "worktree");
  outside = join(base, "outside");
  mkdirSync(join(root, "src"), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(root, "src", "a.ts"), "one\ntwo\n");
  writeFileSync(join(outside, "f"), "SECRET\n");
});

afterAll(removeTempDirs);

/** Whether this process may make a device node (root, or CAP_MKNOD): tried once, in a temp dir. */
const mknod = machineNeed(
  (() => {
    try {
      execFileSync("mknod", [join(tempDir("stamina-mknod-"), "null"), "c", "1", "3"], {
        stdio: "ignore",
      });
      return null;
    } catch {
      return "only root (CAP_MKNOD) can make a device node, and this process cannot";
    }
  })(),
);

const run = async (input: unknown) =>
  (await executeEditorCommand(root, editorInputSchema.parse(input))).output;
const failure = (input: unknown) => run(input).then(String, (e: unknown) => e as Error);

describe("a folder swapped for a symlink to outside, over and over", () => {
  it("never lets view, create or str_replace read or write outside", async () => {
    const loop = `while true; do rm -rf d; mkdir d; echo x > d/f; rm -rf d; ln -s '${outside}' d; done`;
    const flipper = spawn("bash", ["-c", loop], { cwd: root, stdio: "ignore" });
    const seen = { secret: 0, ok: 0, refused: 0 };
    try {
      for (let i = 0; i < 3_000; i++) {
        const input = [
          { command: "view", path: "d/f" },
          { command: "create", path: "d/f", file_text: "written by the harness\n" },
          { command: "str_replace", path: "d/f", old_str: "SECRET", new_str: "pwned" },
          { command: "str_replace", path: "d/f", old_str: "x", new_str: "y" },
        ][i % 4];
        const out = await failure(input);
        if (typeof out === "string") seen.ok++;
        else if (out instanceof ToolInputError || out instanceof PathOutsideWorkspaceError) {
          seen.refused++;
        } else if ((out as NodeJS.ErrnoException).code !== "ENOENT") throw out;
        const text = typeof out === "string" ? out : out.message;
        if (text.includes("SECRET")) seen.secret++;
      }
    } finally {
      flipper.kill("SIGKILL");
    }
    expect(seen.secret).toBe(0);
    expect(readFileSync(join(outside, "f"), "utf8")).toBe("SECRET\n");
    expect(readdirSync(outside)).toEqual(["f"]);
    // Both sides of the race were met: the test would prove nothing otherwise.
    expect(seen.ok).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  });
});

describe("what is not a regular file", () => {
  it("refuses a FIFO at once, for view, str_replace and create, instead of blocking", async () => {
    execFileSync("mkfifo", [join(root, "src", "pipe")]);
    for (const input of [
      { command: "view", path: "src/pipe" },
      { command: "str_replace", path: "src/pipe", old_str: "a", new_str: "b" },
      { command: "create", path: "src/pipe", file_text: "x" },
    ]) {
      const error = await failure(input);
      expect(error).toBeInstanceOf(ToolInputError);
      expect((error as Error).message).toBe(
        `${root}/src/pipe is not a regular file (a FIFO); only regular files can be viewed, edited or searched.`,
      );
    }
  });

  it("refuses /dev/zero behind a symlink as outside the workspace", async () => {
    symlinkSync("/dev/zero", join(root, "zero"));
    await expect(run({ command: "view", path: "zero" })).rejects.toThrow(PathOutsideWorkspaceError);
  });

  it.skipIf(mknod.skip)(mknod.title("refuses a character device inside the worktree"), async () => {
    mknod.ensure();
    execFileSync("mknod", [join(root, "zero"), "c", "1", "5"], { stdio: "ignore" });
    await expect(run({ command: "view", path: "zero" })).rejects.toThrow(
      /is not a regular file \(a character device\)/,
    );
    await expect(run({ command: "create", path: "zero", file_text: "x" })).rejects.toThrow(
      /a character device/,
    );
  });
});

describe("symlinks inside the worktree", () => {
  it("resolves a link's .. from where the link leads, as the kernel does", async () => {
    mkdirSync(join(root, "a", "b"), { recursive: true });
    writeFileSync(join(root, "a", "x.txt"), "in a\n");
    writeFileSync(join(root, "x.txt"), "at the root\n");
    symlinkSync("a/b", join(root, "docs"));
    expect(await run({ command: "view", path: "docs/../x.txt" })).toContain("in a");
  });

  it("creates the target of a dangling link inside, and refuses one outside", async () => {
    symlinkSync("src/new.ts", join(root, "later.ts"));
    expect(await run({ command: "create", path: "later.ts", file_text: "hi\n" })).toBe(
      `File created: ${root}/later.ts`,
    );
    expect(readFileSync(join(root, "src", "new.ts"), "utf8")).toBe("hi\n");
    symlinkSync(join(outside, "g"), join(root, "out.ts"));
    await expect(run({ command: "create", path: "out.ts", file_text: "x" })).rejects.toThrow(
      PathOutsideWorkspaceError,
    );
    expect(readdirSync(outside)).toEqual(["f"]);
  });

  it("gives up on a loop of links", async () => {
    symlinkSync("loop2", join(root, "loop1"));
    symlinkSync("loop1", join(root, "loop2"));
    await expect(run({ command: "view", path: "loop1" })).rejects.toThrow(
      /Too many symbolic links/,
    );
  });

  it("reports where a path really is", async () => {
    symlinkSync("src", join(root, "code"));
    const rel = await withWorktreeEntry(root, `${root}/code/a.ts`, "read", (e) =>
      Promise.resolve(e?.rel),
    );
    expect(rel).toBe("src/a.ts");
  });
});

describe("file descriptors", () => {
  it("are all closed again, after successes and failures alike", async () => {
    symlinkSync(outside, join(root, "out"));
    execFileSync("mkfifo", [join(root, "pipe")]);
    const open = () => readdirSync("/proc/self/fd").filter((fd) => isFd(fd)).length;
    const before = open();
    for (let i = 0; i < 1_000; i++) {
      await failure(
        [
          { command: "view", path: "src/a.ts" },
          { command: "view", path: "." },
          { command: "create", path: `new/n${i % 7}.txt`, file_text: "n\n" },
          { command: "str_replace", path: "src/a.ts", old_str: "nothing", new_str: "" },
          { command: "view", path: "out/f" },
          { command: "view", path: "pipe" },
          { command: "view", path: "missing/file" },
        ][i % 7],
      );
    }
    expect(open()).toBe(before);
  });
});

/** An fd that is still open (readdir's own fd is gone by the time we look). */
function isFd(fd: string): boolean {
  try {
    readlinkSync(`/proc/self/fd/${fd}`);
    return true;
  } catch {
    return false;
  }
}
