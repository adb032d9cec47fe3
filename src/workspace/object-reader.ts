// One `git cat-file --batch` kept running beside a run's working tree: the
// base commit's trees and blobs read by name, each read a line written to a
// process already there. Starting a process costs more here than the reads a
// step needs (quick-diff.ts). Hardened as every git command is (git-run.ts);
// cat-file reads objects and runs no filter.
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { batchParser, type BlobContent } from "./pushed-blobs.ts";
import { spawnGit, spawnError } from "./git-run.ts";
import { unref } from "./ignore-check.ts";

export interface GitObject {
  type: string;
  /** The object's bytes; null when it is larger than the reader keeps. */
  bytes: Buffer | null;
}

interface Waiting {
  resolve: (object: GitObject | null) => void;
  reject: (error: Error) => void;
}

export class ObjectReader {
  private child: Promise<ChildProcessWithoutNullStreams> | null = null;
  private readonly waiting: Waiting[] = [];
  private closed = false;

  /** `maxBytes`: objects past it come back without their bytes (read past, never held). */
  constructor(
    private readonly cwd: string,
    private readonly maxBytes: number,
  ) {}

  /**
   * The object `name` names (`<commit>:<path>`, an id); null when there is none. A name must
   * not hold a newline: cat-file reads one per line.
   */
  async read(name: string): Promise<GitObject | null> {
    if (this.closed) throw new Error("the object reader was closed");
    if (name.includes("\n")) throw new Error("an object name cannot hold a newline");
    const child = await (this.child ??= this.start());
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      child.stdin.write(`${name}\n`);
    });
  }

  close(): void {
    this.closed = true;
    this.fail(new Error("the object reader was closed"));
    void this.child?.then((child) => child.kill()).catch(() => undefined);
    this.child = null;
  }

  private async start(): Promise<ChildProcessWithoutNullStreams> {
    const child = await spawnGit(["cat-file", "--batch"], { cwd: this.cwd });
    const answer = (_id: string, blob: BlobContent, type: string) => {
      const waiting = this.waiting.shift();
      if (type === "missing") waiting?.resolve(null);
      else waiting?.resolve({ type, bytes: blob.truncated ? null : blob.content });
    };
    child.stdout.on("data", batchParser(this.maxBytes, answer));
    child.stdin.on("error", () => undefined);
    child.stderr.resume();
    child.on("error", (error) => this.fail(spawnError("cat-file", error)));
    child.on("close", () => {
      // A reader that stopped answering starts afresh for the next read.
      this.child = null;
      this.fail(new Error("git cat-file stopped"));
    });
    unref(child);
    return child;
  }

  private fail(error: Error): void {
    for (const waiting of this.waiting.splice(0)) waiting.reject(error);
  }
}
