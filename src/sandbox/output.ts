// Collects a command's output without ever holding more than a bounded head
// and tail in memory: everything else streams to a log file (itself capped),
// so a command that prints gigabytes costs neither memory nor the disk.
import { createWriteStream, openSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { completePrefix, completeSuffix, decodeUtf8 } from "./utf8.ts";

export interface CollectedOutput {
  output: string;
  truncated: boolean;
  totalBytes: number;
  /** Set only when the output was truncated: the file that holds it (up to the saved cap). */
  fullOutputPath: string | null;
}

export interface OutputCollectorOptions {
  /** Budget for the text returned: half for the head, half for the tail. */
  maxOutputChars: number;
  maxSavedBytes: number;
  outputDir: string;
  /** File name stem, unique per command; a number is appended on collision. */
  stem: string;
}

export class OutputCollector {
  private readonly headBytes: number;
  private readonly tailBytes: number;
  private readonly head: Buffer[] = [];
  private headLength = 0;
  private tail: Buffer[] = [];
  private tailLength = 0;
  private total = 0;
  private saved = 0;
  private file: WriteStream | null = null;
  private filePath: string | null = null;
  private fileError: Error | null = null;

  constructor(private readonly options: OutputCollectorOptions) {
    this.headBytes = Math.floor(options.maxOutputChars / 2);
    this.tailBytes = options.maxOutputChars - this.headBytes;
  }

  /** Takes one chunk. Returns a promise when the caller should wait before the next one. */
  push(chunk: Buffer): Promise<void> | undefined {
    this.total += chunk.length;
    let wait: Promise<void> | undefined;
    if (
      this.file === null &&
      this.fileError === null &&
      this.total > this.headBytes + this.tailBytes
    ) {
      // Nothing was dropped yet, so the head and tail still hold every earlier byte.
      this.openFile();
      for (const piece of [...this.head, ...this.tail]) wait = this.save(piece) ?? wait;
    }
    if (this.file !== null) wait = this.save(chunk) ?? wait;
    this.remember(chunk);
    return wait;
  }

  async finish(): Promise<CollectedOutput> {
    const truncated = this.total > this.headBytes + this.tailBytes;
    await this.closeFile();
    if (!truncated) {
      return {
        output: decodeUtf8(Buffer.concat([...this.head, ...this.tail])),
        truncated: false,
        totalBytes: this.total,
        fullOutputPath: null,
      };
    }
    const head = completePrefix(Buffer.concat(this.head));
    const tailAll = Buffer.concat(this.tail);
    const tail = completeSuffix(tailAll.subarray(Math.max(0, tailAll.length - this.tailBytes)));
    const cut = this.total - head.length - tail.length;
    return {
      output: `${decodeUtf8(head)}\n… [${cut} bytes cut; ${this.where()}] …\n${decodeUtf8(tail)}`,
      truncated: true,
      totalBytes: this.total,
      fullOutputPath: this.fileError === null ? this.filePath : null,
    };
  }

  private where(): string {
    if (this.fileError !== null || this.filePath === null) {
      return `the full output could not be saved: ${this.fileError?.message ?? "no file"}`;
    }
    if (this.saved < this.total) return `the first ${this.saved} bytes are in ${this.filePath}`;
    return `full output in ${this.filePath}`;
  }

  private remember(chunk: Buffer): void {
    const headRoom = this.headBytes - this.headLength;
    if (headRoom > 0) {
      const part = chunk.subarray(0, headRoom);
      this.head.push(part);
      this.headLength += part.length;
      chunk = chunk.subarray(part.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailLength += chunk.length;
    // Drop whole chunks from the front while what remains still covers the tail budget.
    while (
      this.tail.length > 1 &&
      this.tailLength - (this.tail[0]?.length ?? 0) >= this.tailBytes
    ) {
      this.tailLength -= this.tail.shift()?.length ?? 0;
    }
  }

  private openFile(): void {
    for (let n = 0; n < 1000; n++) {
      const path = join(
        this.options.outputDir,
        `${this.options.stem}${n === 0 ? "" : `-${n}`}.log`,
      );
      try {
        // `wx`: never append to or clobber another command's log.
        const fd = openSync(path, "wx", 0o600);
        this.filePath = path;
        this.file = createWriteStream(path, { fd });
        this.file.on("error", (error) => {
          this.fileError = error;
        });
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
        this.fileError = error as Error;
        return;
      }
    }
    this.fileError = new Error(`no free log file name for ${this.options.stem}`);
  }

  private save(chunk: Buffer): Promise<void> | undefined {
    const file = this.file;
    const room = this.options.maxSavedBytes - this.saved;
    if (file === null || this.fileError !== null || room <= 0) return undefined;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.saved += part.length;
    if (file.write(part)) return undefined;
    return new Promise((resolve) => {
      // An error ends the wait too: the output keeps flowing, only the file stops.
      const done = () => {
        file.off("drain", done);
        file.off("error", done);
        resolve();
      };
      file.on("drain", done);
      file.on("error", done);
    });
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    if (file === null) return;
    this.file = null;
    if (this.fileError === null && this.saved < this.total) {
      file.write(
        `\n[Stamina: the saved output stops here, after ${this.saved} of ${this.total} bytes]\n`,
      );
    }
    if (file.closed) return;
    await new Promise<void>((resolve) => {
      file.once("close", () => resolve());
      file.end();
    });
  }
}
