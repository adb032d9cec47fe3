// Which review threads a follow-up run answers, and how the task shows them.
// A round takes every unresolved thread whose last word is a writer's: a
// thread where Stamina (or another bot) spoke last waits for the reviewer,
// and one started or continued by someone who cannot write is not a request.
// Each thread goes to the model with its path, line, diff hunk and a window
// of the file as it is on the branch now; all of it is untrusted text.
import { sanitizeUntrusted } from "../../policy/sanitize.ts";
import { ToolInputError } from "../../workspace/editor-input.ts";
import { PathOutsideWorkspaceError } from "../../workspace/paths.ts";
import { readBounded, withWorktreeEntry } from "../../workspace/worktree-fs.ts";
import type { ReviewThread } from "../../github/types.ts";

/** Lines of the file shown above and below the commented line. */
const WINDOW = 10;
const MAX_COMMENT_CHARS = 4_000;
const MAX_HUNK_CHARS = 3_000;
/** A file past this is not read for its window (a generated file, a log). */
const MAX_FILE_BYTES = 8 * 1024 * 1024;

/** The threads of a round, in the order the pull request has them. */
export async function threadsToAnswer(
  threads: ReviewThread[],
  canWrite: (login: string) => Promise<boolean>,
): Promise<ReviewThread[]> {
  const chosen: ReviewThread[] = [];
  for (const thread of threads) {
    const last = thread.comments.at(-1);
    if (thread.resolved || last === undefined || last.bot) continue;
    if (await canWrite(last.author)) chosen.push(thread);
  }
  return chosen;
}

/** What a round answers: a review thread, or a writer's comment on the pull request itself. */
export type RoundItem = { thread: ReviewThread } | { conversation: { by: string; body: string } };

/** The items as the task lists them, numbered from 1. */
export async function describeItems(items: RoundItem[], worktree: string): Promise<string> {
  const parts: string[] = [];
  for (const [index, item] of items.entries()) {
    if ("thread" in item) parts.push(await describeThread(index + 1, item.thread, worktree));
    else {
      const { by, body } = item.conversation;
      parts.push(
        [
          `## Thread ${index + 1}: a comment on the pull request's conversation`,
          "",
          `<comment author="${by}">\n${sanitizeUntrusted(body, MAX_COMMENT_CHARS)}\n</comment>`,
        ].join("\n"),
      );
    }
  }
  return parts.join("\n\n");
}

async function describeThread(n: number, thread: ReviewThread, worktree: string): Promise<string> {
  const line = thread.line ?? thread.originalLine;
  const where = thread.outdated
    ? `\`${thread.path}\`, an outdated line (line ${line ?? "?"} when it was written; the code has changed since)`
    : `\`${thread.path}\`${line === null ? "" : `, line ${line}`}`;
  const comments = thread.comments
    .filter((c) => !c.bot)
    .map(
      (c) =>
        `<comment author="${c.author}">\n${sanitizeUntrusted(c.body, MAX_COMMENT_CHARS)}\n</comment>`,
    );
  return [
    `## Thread ${n}: ${where}`,
    "",
    "<diff_hunk>",
    sanitizeUntrusted(thread.diffHunk, MAX_HUNK_CHARS),
    "</diff_hunk>",
    "",
    await fileWindow(worktree, thread.path, line),
    "",
    ...comments,
  ].join("\n");
}

/** The file around `line` as it is in the worktree, numbered; or why there is none. */
async function fileWindow(worktree: string, path: string, line: number | null): Promise<string> {
  let text: string;
  try {
    // Opened as the editor opens files: no symlink out of the worktree, no FIFO, bounded.
    const read = await withWorktreeEntry(worktree, path, "read", async (entry) => {
      if (entry === null) return `(\`${path}\` no longer exists on the branch.)`;
      if (entry.stat.isDirectory()) return `(\`${path}\` is a folder now.)`;
      const bytes = await readBounded(entry, MAX_FILE_BYTES);
      return bytes === null
        ? `(\`${path}\` is too large to show.)`
        : { text: bytes.toString("utf8") };
    });
    if (typeof read === "string") return read;
    text = read.text;
  } catch (error) {
    if (error instanceof PathOutsideWorkspaceError)
      return `(\`${path}\` is outside the repository.)`;
    if (error instanceof ToolInputError) return `(\`${path}\` is not a regular file.)`;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR")
      return `(\`${path}\` no longer exists on the branch.)`;
    throw error;
  }
  const lines = text.split("\n");
  const at = Math.min(Math.max(line ?? 1, 1), lines.length);
  const from = Math.max(at - WINDOW, 1);
  const to = Math.min(at + WINDOW, lines.length);
  const shown = lines
    .slice(from - 1, to)
    .map((l, i) => `${String(from + i).padStart(5)}${from + i === at ? " > " : "   "}${l}`);
  return [`<file path="${path}" lines="${from}-${to}">`, ...shown, "</file>"].join("\n");
}
