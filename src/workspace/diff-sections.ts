// A working diff as git writes it (`git diff --binary --no-renames`), taken
// apart into one section per file and put back together in git's order, and
// a file's section written without git: what lets a step that edited a few
// files checkpoint without a git process (quick-diff.ts). A section written
// here applies with `git apply` exactly as git's own would; its hunks may be
// cut differently from git's where a change can be read two ways.
import { createHash } from "node:crypto";
import { structuredPatch } from "diff";

/** A file as a side of the diff sees it: its git mode and its bytes. */
export interface FileSide {
  /** "100644" or "100755". */
  mode: string;
  bytes: Buffer;
}

/** The section could not be written here (binary, too large, too far apart): ask git. */
export const ASK_GIT = Symbol("ask git");

const HEADER = Buffer.from("diff --git ");
const NO_OBJECT = "0".repeat(40);
/** git reads a file as binary when a NUL is among its first bytes (xdiff's FIRST_FEW_BYTES). */
const FIRST_FEW_BYTES = 8_000;
/** Past this, a file's section is git's to write: the diff here is in memory, and O(N·D). */
const MAX_FILE_BYTES = 1024 * 1024;
/** Past this many differing lines, git writes the section. */
const MAX_EDIT_LENGTH = 2_000;
/** Paths written without git: those git writes unquoted and `git apply` reads back as they are. */
const PLAIN_PATH = /^[A-Za-z0-9._+@=,~-]+(?:\/[A-Za-z0-9._+@=,~-]+)*$/;

/** Whether `path` is one whose section can be written here. */
export function plainPath(path: string): boolean {
  return PLAIN_PATH.test(path) && !path.split("/").some((part) => part === "." || part === "..");
}

/** The blob id git gives `bytes` (SHA-1 object format). */
function blobId(bytes: Buffer): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

/**
 * The sections of a diff, by path, in git's order; null when a header is not one this file
 * reads back (a quoted path, a rename), so the caller keeps asking git.
 */
export function splitSections(diff: Buffer): Map<string, Buffer> | null {
  const sections = new Map<string, Buffer>();
  if (diff.length === 0) return sections;
  if (!diff.subarray(0, HEADER.length).equals(HEADER)) return null;
  let start = 0;
  while (start < diff.length) {
    let next = diff.indexOf(Buffer.from(`\n${HEADER.toString()}`), start);
    next = next < 0 ? diff.length : next + 1;
    const section = diff.subarray(start, next);
    const path = pathOf(section);
    if (path === null || sections.has(path)) return null;
    sections.set(path, section);
    start = next;
  }
  return sections;
}

/** `diff --git a/P b/P`: P, when both sides name it plainly. */
function pathOf(section: Buffer): string | null {
  const end = section.indexOf(0x0a);
  const line = section.subarray(HEADER.length, end < 0 ? section.length : end).toString("utf8");
  if (!line.startsWith("a/")) return null;
  const half = (line.length - 1) / 2;
  const path = line.slice(2, half);
  return line === `a/${path} b/${path}` && plainPath(path) ? path : null;
}

/** The sections put back together, in the order git writes them (the index's: by path bytes). */
export function joinSections(sections: Map<string, Buffer>): Buffer {
  const paths = [...sections.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Buffer.concat(paths.map((p) => sections.get(p) as Buffer));
}

/**
 * The section of `path` from `before` (the base's file, null: none) to `after` (the working
 * tree's, null: none): null when they are the same, ASK_GIT when git must write it.
 */
export function fileSection(
  path: string,
  before: (FileSide & { id: string }) | null,
  after: FileSide | null,
): Buffer | null | typeof ASK_GIT {
  if (!plainPath(path)) return ASK_GIT;
  if (before === null && after === null) return null;
  for (const side of [before, after]) {
    if (side === null) continue;
    if (side.bytes.length > MAX_FILE_BYTES || binary(side.bytes)) return ASK_GIT;
  }
  const afterId = after === null ? NO_OBJECT : blobId(after.bytes);
  const beforeId = before?.id ?? NO_OBJECT;
  if (before !== null && after !== null && beforeId === afterId && before.mode === after.mode) {
    return null;
  }
  const head = [`diff --git a/${path} b/${path}`];
  if (before === null) head.push(`new file mode ${after?.mode}`);
  else if (after === null) head.push(`deleted file mode ${before.mode}`);
  else if (before.mode !== after.mode)
    head.push(`old mode ${before.mode}`, `new mode ${after.mode}`);
  if (beforeId === afterId) return lines(head);
  const sameMode = before !== null && after !== null && before.mode === after.mode;
  head.push(`index ${beforeId}..${afterId}${sameMode ? ` ${before.mode}` : ""}`);
  const oldText = before?.bytes.toString("latin1") ?? "";
  const newText = after?.bytes.toString("latin1") ?? "";
  // An empty file made or removed: git writes no hunk and no file names.
  if (oldText === "" && newText === "") return lines(head);
  const patch = structuredPatch("", "", oldText, newText, undefined, undefined, {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  if (patch === undefined) return ASK_GIT;
  head.push(before === null ? "--- /dev/null" : `--- a/${path}`);
  head.push(after === null ? "+++ /dev/null" : `+++ b/${path}`);
  for (const hunk of patch.hunks) {
    head.push(
      `@@ -${range(hunk.oldStart, hunk.oldLines)} +${range(hunk.newStart, hunk.newLines)} @@`,
      ...hunk.lines,
    );
  }
  return lines(head);
}

/** `start,count` as git writes it: a count of one left out, an empty side starting before line 1. */
function range(start: number, count: number): string {
  if (count === 0) return `${Math.max(0, start - (start > 0 ? 1 : 0))},0`;
  return count === 1 ? `${start}` : `${start},${count}`;
}

function lines(parts: string[]): Buffer {
  return Buffer.from(`${parts.join("\n")}\n`, "latin1");
}

function binary(bytes: Buffer): boolean {
  return bytes.subarray(0, FIRST_FEW_BYTES).includes(0);
}
