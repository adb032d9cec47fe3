// Collects a command's output without ever holding more than a bounded head
// and tail in memory: everything else streams to a log file (itself capped),
// so a command that prints gigabytes costs neither memory nor the disk. What
// the head and tail hold is the text a terminal would show (terminal-text.ts:
// no colour codes, a progress bar's last state); the log file keeps the bytes
// as the command wrote them, and is written whenever the two differ.
import { createWriteStream, openSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { TerminalText } from "./terminal-text.ts";
import { completePrefix, completeSuffix, decodeUtf8 } from "./utf8.ts";

export interface CollectedOutput {
  output: string;
  truncated: boolean;
  /** The bytes the command wrote, control sequences included. */
  totalBytes: number;
  /**
   * Set when the output was truncated or had control sequences taken out: the file that holds
   * the bytes as written (up to the saved cap).
   */
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
  /** The bytes of text kept for the model (the head and tail are cut from these). */
  private total = 0;
  /** The bytes the command wrote. */
  private rawTotal = 0;
  /** The bytes as written, until the log file opens (they fit the head and tail budget). */
  private raw: Buffer[] = [];
  private saved = 0;
  private readonly decoder = new TextDecoder("utf-8");
  private readonly terminal = new TerminalText();
  private file: WriteStream | null = null;
  private filePath: string | null = null;
  private fileError: Error | null = null;

  constructor(private readonly options: OutputCollectorOptions) {
    this.headBytes = Math.floor(options.maxOutputChars / 2);
    this.tailBytes = options.maxOutputChars - this.headBytes;
  }

  /** Takes one chunk. Returns a promise when the caller should wait before the next one. */
  push(chunk: Buffer): Promise<void> | undefined {
    this.rawTotal += chunk.length;
    let wait: Promise<void> | undefined;
    if (this.file !== null) wait = this.save(chunk);
    else if (this.fileError === null) this.raw.push(chunk);
    // `stream`: a character cut between two chunks is decoded whole with the next one.
    this.take(this.terminal.push(this.decoder.decode(chunk, { stream: true })));
    return this.keepRaw() ?? wait;
  }

  async finish(): Promise<CollectedOutput> {
    this.take(this.terminal.push(this.decoder.decode()) + this.terminal.flush());
    await this.keepRaw();
    const truncated = this.total > this.headBytes + this.tailBytes;
    await this.closeFile();
    const fullOutputPath = this.fileError === null ? this.filePath : null;
    if (!truncated) {
      return {
        output: decodeUtf8(Buffer.concat([...this.head, ...this.tail])),
        truncated: false,
        totalBytes: this.rawTotal,
        fullOutputPath,
      };
    }
    const head = completePrefix(Buffer.concat(this.head));
    const tailAll = Buffer.concat(this.tail);
    const tail = completeSuffix(tailAll.subarray(Math.max(0, tailAll.length - this.tailBytes)));
    const cut = this.total - head.length - tail.length;
    return {
      output: `${decodeUtf8(head)}\n… [${cut} bytes cut; ${this.where()}] …\n${decodeUtf8(tail)}`,
      truncated: true,
      totalBytes: this.rawTotal,
      fullOutputPath,
    };
  }

  /** Text for the model: into the head, then the tail. */
  private take(text: string): void {
    if (text.length === 0) return;
    const bytes = Buffer.from(text, "utf8");
    this.total += bytes.length;
    this.remember(bytes);
  }

  /**
   * Opens the log file once the output is truncated or differs from what was written, with
   * every byte written so far (nothing was dropped from `raw` before).
   */
  private keepRaw(): Promise<void> | undefined {
    const budget = this.headBytes + this.tailBytes;
    if (this.file !== null || this.fileError !== null) return undefined;
    if (!this.terminal.changed && this.total <= budget && this.rawTotal <= budget) return undefined;
    this.openFile();
    let wait: Promise<void> | undefined;
    for (const piece of this.raw) wait = this.save(piece) ?? wait;
    this.raw = [];
    return wait;
  }

  private where(): string {
    if (this.fileError !== null || this.filePath === null) {
      return `the full output could not be saved: ${this.fileError?.message ?? "no file"}`;
    }
    if (this.saved < this.rawTotal) {
      return `the first ${this.saved} bytes are in ${this.filePath}`;
    }
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
    if (this.fileError === null && this.saved < this.rawTotal) {
      file.write(
        `\n[Stamina: the saved output stops here, after ${this.saved} of ${this.rawTotal} bytes]\n`,
      );
    }
    if (file.closed) return;
    await new Promise<void>((resolve) => {
      file.once("close", () => resolve());
      file.end();
    });
  }
}
