// Collects a command's output without ever holding more than a bounded head
// and tail in memory: everything else streams to a log file (itself capped),
// so a command that prints gigabytes costs neither memory nor the disk. The
// text returned is what a terminal would show (terminal-text.ts: no colour
// codes, a progress bar's last state), read at the end from the head and tail
// as written, which hold a few times the text budget for the codes' room: the
// middle of a long output is never decoded. The log file keeps the bytes as
// written, and is written whenever they differ from the text returned.
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

/**
 * How much more than the text budget the head and tail keep of the bytes as written: colour
 * codes take room that the text shown does not, and the text is read from these at the end.
 */
const RAW_FACTOR = 4;

export class OutputCollector {
  private readonly headBytes: number;
  private readonly tailBytes: number;
  private readonly rawHeadBytes: number;
  private readonly rawTailBytes: number;
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
    this.rawHeadBytes = this.headBytes * RAW_FACTOR;
    this.rawTailBytes = this.tailBytes * RAW_FACTOR;
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
    const whole = this.total <= this.rawHeadBytes + this.rawTailBytes;
    const text = whole ? clean(Buffer.concat([...this.head, ...this.tail])) : null;
    // Bytes as written that differ from the text: kept in the run's folder all the same.
    if (text?.changed && this.file === null && this.fileError === null) {
      this.openFile();
      for (const piece of [...this.head, ...this.tail]) await this.save(piece);
    }
    await this.closeFile();
    const fullOutputPath = this.fileError === null ? this.filePath : null;
    if (text !== null && text.bytes.length <= this.headBytes + this.tailBytes) {
      return {
        output: decodeUtf8(text.bytes),
        truncated: false,
        totalBytes: this.total,
        fullOutputPath,
      };
    }
    const [head, tail] =
      text !== null
        ? [text.bytes, text.bytes]
        : [clean(Buffer.concat(this.head)).bytes, clean(lineStart(Buffer.concat(this.tail))).bytes];
    const shownHead = completePrefix(head.subarray(0, this.headBytes));
    const shownTail = completeSuffix(tail.subarray(Math.max(0, tail.length - this.tailBytes)));
    const cut = (text?.bytes.length ?? this.total) - shownHead.length - shownTail.length;
    return {
      output: `${decodeUtf8(shownHead)}\n… [${cut} bytes cut; ${this.where()}] …\n${decodeUtf8(shownTail)}`,
      truncated: true,
      totalBytes: this.total,
      fullOutputPath,
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
    const headRoom = this.rawHeadBytes - this.headLength;
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
      this.tailLength - (this.tail[0]?.length ?? 0) >= this.rawTailBytes
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

/** Bytes as written, as a terminal would show them (terminal-text.ts), and whether that differs. */
function clean(raw: Buffer): { bytes: Buffer; changed: boolean } {
  const filter = new TerminalText();
  const text = filter.push(decodeUtf8(completeSuffix(raw))) + filter.flush();
  return { bytes: Buffer.from(text, "utf8"), changed: filter.changed };
}

/** The tail from its first whole line, where it has one: a sequence cut at its start is not shown. */
function lineStart(tail: Buffer): Buffer {
  const newline = tail.indexOf(0x0a);
  return newline < 0 ? tail : tail.subarray(newline + 1);
}
