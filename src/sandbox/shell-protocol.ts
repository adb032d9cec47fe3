// How the harness talks to a persistent shell: each command goes in as one
// line that evals it and then prints a marker with its exit status, and the
// output stream is scanned for that marker without ever holding more than a
// few bytes of it back, so a command that prints gigabytes stays cheap.
import { randomBytes } from "node:crypto";

/** The marker's fixed part; a random nonce per command follows it. */
const PREFIX = "__STAMINA_DONE_";

export interface Framed {
  /** What to write to the shell's stdin. */
  script: string;
  /** Finds the end of this command's output in the stream. */
  scanner: MarkerScanner;
}

/**
 * What a fresh shell runs first. Job control gives each command's processes a group of their
 * own, which a timeout can kill. Commands run in a function (`cd`, `export`, functions and
 * plain variables still land in the shell) whose SIGINT trap returns from it: a timed-out
 * command's remaining list is skipped, and the shell lives on. Outside a command, SIGINT is
 * ignored, so a late one cannot end the shell.
 */
export const SHELL_PRELUDE = [
  "set -m",
  "trap : INT",
  "__stamina_run() { trap 'trap : INT; return 130' INT; eval \"$__stamina_command\"; local s=$?; trap : INT; return $s; }",
  "",
].join("\n");

/**
 * One command, framed: run by the prelude's function with stdin from /dev/null (so it
 * cannot read the protocol), then the marker and `$?`. The nonce is printed in two halves,
 * so not even an echo of this line (`set -x`) contains the marker.
 */
export function frameCommand(command: string): Framed {
  const nonce = randomBytes(12).toString("hex");
  const [a, b] = [nonce.slice(0, 12), nonce.slice(12)];
  const script =
    `__stamina_command=${ansiC(command)}\n` +
    `__stamina_run </dev/null\n` +
    `builtin printf '\\n${PREFIX}%s%s__ %d\\n' '${a}' '${b}' "$?"\n`;
  return { script, scanner: new MarkerScanner(`\n${PREFIX}${nonce}__ `) };
}

/** `$'...'` quoting: every byte literal, whatever the command holds. */
function ansiC(text: string): string {
  const escaped = text
    .replace(/\\/g, "\\\\")
    .replace(/'/g, "\\'")
    .replace(/\n/g, "\\n")
    .replace(/\r/g, "\\r");
  return `$'${escaped}'`;
}

export interface Scanned {
  /** Output of the command, safe to pass on. */
  output: Buffer;
  /** Set once the marker has been seen: the command's exit status. */
  status?: number;
  /** Bytes after the marker (a background job's late output), when the marker was seen. */
  rest?: Buffer;
}

/** Splits a stream into the command's output and its end marker, holding back only a marker's length. */
export class MarkerScanner {
  private readonly mark: Buffer;
  private held = Buffer.alloc(0);

  constructor(mark: string) {
    this.mark = Buffer.from(mark);
  }

  push(chunk: Buffer): Scanned {
    const data = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    const at = data.indexOf(this.mark);
    if (at === -1) {
      // The end may hold the start of the marker: keep just that much back.
      const keep = Math.min(data.length, this.mark.length - 1);
      this.held = Buffer.from(data.subarray(data.length - keep));
      return { output: data.subarray(0, data.length - keep) };
    }
    const newline = data.indexOf(0x0a, at + this.mark.length);
    if (newline === -1) {
      this.held = Buffer.from(data.subarray(at));
      return { output: data.subarray(0, at) };
    }
    const status = Number(data.subarray(at + this.mark.length, newline).toString("latin1"));
    this.held = Buffer.alloc(0);
    return {
      output: data.subarray(0, at),
      status: Number.isInteger(status) ? status : -1,
      rest: data.subarray(newline + 1),
    };
  }

  /** What is held back when the stream ends without a marker: it was output after all. */
  flush(): Buffer {
    const held = this.held;
    this.held = Buffer.alloc(0);
    return held;
  }
}
