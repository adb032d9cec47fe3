// One `git check-ignore --stdin` kept running beside a run's working tree:
// whether a new file is one git would stage, asked without a process per file
// (quick-diff.ts). git reads the ignore rules once, when it starts; whoever
// holds it restarts it (close) when the rules may have changed.
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { spawnGit, spawnError } from "./git-run.ts";

interface Waiting {
  resolve: (ignored: boolean) => void;
  reject: (error: Error) => void;
}

/** A record of `check-ignore -z --verbose --non-matching`: source, line, pattern, path. */
const FIELDS = 4;

export class IgnoreCheck {
  private child: Promise<ChildProcessWithoutNullStreams> | null = null;
  private readonly waiting: Waiting[] = [];

  constructor(private readonly cwd: string) {}

  /** Whether git's ignore rules leave the untracked file `path` out. */
  async ignored(path: string): Promise<boolean> {
    if (path.includes("\0")) throw new Error("a path cannot hold a NUL");
    const child = await (this.child ??= this.start());
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      child.stdin.write(`${path}\0`);
    });
  }

  /** Stops the process; the next question starts one that reads the rules afresh. */
  close(): void {
    this.fail(new Error("the ignore check was closed"));
    void this.child?.then((child) => child.kill()).catch(() => undefined);
    this.child = null;
  }

  private async start(): Promise<ChildProcessWithoutNullStreams> {
    const child = await spawnGit(
      ["check-ignore", "--stdin", "-z", "--verbose", "--non-matching", "--no-index"],
      { cwd: this.cwd },
    );
    let fields: string[] = [];
    let rest = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\0");
      rest = parts.pop() ?? "";
      for (const part of parts) {
        fields.push(part);
        if (fields.length < FIELDS) continue;
        const [source = "", , pattern = ""] = fields;
        fields = [];
        // A negated pattern ("!keep.log") that matched keeps the file in.
        this.waiting.shift()?.resolve(source !== "" && !pattern.startsWith("!"));
      }
    });
    child.stdin.on("error", () => undefined);
    child.stderr.resume();
    child.on("error", (error) => this.fail(spawnError("check-ignore", error)));
    child.on("close", () => {
      this.child = null;
      this.fail(new Error("git check-ignore stopped"));
    });
    unref(child);
    return child;
  }

  private fail(error: Error): void {
    for (const waiting of this.waiting.splice(0)) waiting.reject(error);
  }
}

/** A helper process that never keeps the harness running by itself. */
export function unref(child: ChildProcessWithoutNullStreams): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void }).unref?.();
  }
}
