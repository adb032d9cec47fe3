// Writing settings into a `.env` file the operator keeps: what the setup page registers
// (APP_ID, PRIVATE_KEY, WEBHOOK_SECRET, the client id and secret) goes in, and every other line
// stays as it was (comments, blank lines, other settings, their order). A key already set is
// replaced where it stands; a missing one is appended; the file ends with a newline, so a later
// `echo KEY=value >> .env` starts a line of its own. The file holds secrets: it is replaced
// atomically (a temporary file beside it, then a rename), keeping its mode, 0600 when new.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from "node:fs";
import { basename, dirname, join } from "node:path";

/** An assignment as Node's parser reads it: `KEY=value`, `export KEY = value`. */
const ASSIGNMENT = /^(\s*(?:export\s+)?)([\w.-]+)(\s*=\s*)(.*)$/;
/** A value written as it is: nothing Node's parser would cut (`#`), trim or unquote. */
const PLAIN = /^[\w.,:/+=@%~-]*$/;

/**
 * `text` with each key of `values` set: every assignment of the key (a value in quotes over
 * several lines included) replaced in place, the keys it did not have appended, and a final
 * newline. Nothing else changes.
 */
export function mergeEnvText(text: string, values: Readonly<Record<string, string>>): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text === "" ? [] : text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  const left = new Set(Object.keys(values));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const match = ASSIGNMENT.exec(lines[i] ?? "");
    // A value over several lines is one piece: a line inside it is never taken for a setting.
    const last = match === null ? i : lastLineOfValue(lines, i, match[4] ?? "");
    const key = match?.[2];
    if (match === null || key === undefined || !Object.hasOwn(values, key)) {
      out.push(...lines.slice(i, last + 1));
    } else {
      out.push(`${match[1] ?? ""}${key}=${formatEnvValue(key, values[key] ?? "")}`);
      left.delete(key);
    }
    i = last;
  }
  for (const key of left) out.push(`${key}=${formatEnvValue(key, values[key] ?? "")}`);
  return out.join(eol) + eol;
}

/**
 * Where a value that starts on line `at` ends: a quoted value runs to its closing quote, over
 * several lines when it is not closed on its own (as Node's parser reads it); else this line.
 */
function lastLineOfValue(lines: readonly string[], at: number, value: string): number {
  const quote = value[0];
  if (quote !== '"' && quote !== "'" && quote !== "`") return at;
  if (value.indexOf(quote, 1) !== -1) return at;
  for (let j = at + 1; j < lines.length; j++) {
    if ((lines[j] ?? "").includes(quote)) return j;
  }
  // Never closed: Node's parser takes the rest of the line as the value, and so do we.
  return at;
}

/**
 * `value` as Node's parser reads it back exactly: plain when it can be, else in quotes. Double
 * quotes hold line breaks as `\n` (a PEM on one line); single quotes and backticks hold the rest
 * literally. A value no quoting can hold is refused, naming its key.
 */
export function formatEnvValue(key: string, value: string): string {
  if (PLAIN.test(value)) return value;
  if (!value.includes('"') && !value.includes("\\n")) return `"${value.replace(/\n/g, "\\n")}"`;
  for (const quote of ["'", "`"]) {
    if (!value.includes(quote)) return `${quote}${value}${quote}`;
  }
  throw new Error(
    `${key} holds both kinds of quote and a backtick, which a .env file cannot hold: set it in the environment instead`,
  );
}

/**
 * Sets `values` in the settings file at `path` (see mergeEnvText), creating it (mode 0600) when
 * there is none. A symbolic link is followed: the file it names is the one rewritten.
 */
export function writeEnvSettings(path: string, values: Readonly<Record<string, string>>): void {
  const target = existingTarget(path);
  const before = target === undefined ? undefined : statSync(target);
  const file = target ?? path;
  const text = mergeEnvText(before === undefined ? "" : readFileSync(file, "utf8"), values);
  replaceFile(file, text, before);
}

function existingTarget(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function replaceFile(file: string, text: string, before: Stats | undefined): void {
  const mode = before === undefined ? 0o600 : before.mode & 0o7777;
  const temporary = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString("hex")}`);
  const fd = openSync(temporary, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    unlinkSync(temporary);
    throw error;
  }
  closeSync(fd);
  try {
    // The umask narrowed the mode the file was opened with; the old file's mode is the one kept.
    chmodSync(temporary, mode);
    if (
      before !== undefined &&
      (before.uid !== process.getuid?.() || before.gid !== process.getgid?.())
    ) {
      keepOwner(temporary, before);
    }
    renameSync(temporary, file);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
}

/** The old file's owner, where this process may give it (root may; others keep their own). */
function keepOwner(path: string, before: Stats): void {
  try {
    chownSync(path, before.uid, before.gid);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") throw error;
  }
}
