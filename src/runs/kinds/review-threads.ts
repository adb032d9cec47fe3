// Which review threads a follow-up run answers, and how the task shows them.
// A round reads each thread as it stood at its freeze (the latest trigger's
// time): people's later comments wait for the next round, and a comment edited
// since keeps no text. It takes every unresolved thread whose last word then
// was a writer's: a thread where Stamina (or another bot) spoke last waits for
// the reviewer, and one started or continued by someone who cannot write is
// not a request. Only writers' words are requests; anyone else's comments are
// quoted as untrusted context, and the earlier replies of bots (Stamina's own
// among them) as what the thread answers. Each thread goes to the model with
// its path, line, diff hunk and a window of the file: as it is on the branch
// now, or, for an outdated line, as it was in the commit the thread was
// written against.
import { framed } from "../../agent/prompts.ts";
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

/** A comment of a round's thread as the model is shown it, fixed when the round's batch is chosen. */
interface RoundComment {
  /** REST's id, which a reply in the thread names. */
  id: number;
  url: string;
  author: string;
  bot: boolean;
  /** The author may write to the repository: their words are the requests; anyone else's are quoted as untrusted. */
  writer: boolean;
  /** Its text as of the round's freeze; null when it was edited since (its text is left out). */
  body: string | null;
}

/** A review thread as a round answers it: its comments as they stood at the freeze. */
export interface RoundThread extends Omit<ReviewThread, "comments"> {
  comments: RoundComment[];
}

/** What a round answers: a review thread, or a writer's comment on the pull request itself. */
export type RoundItem = { thread: RoundThread } | { conversation: { by: string; body: string } };

const EDITED = "(edited after the request; its text is left out)";

type ThreadComment = ReviewThread["comments"][number];

/**
 * Whether a comment was there at `freeze` (ms; null when no trigger said when it happened): a
 * person's comment written later is left for the next round. Bots' comments (Stamina's answers)
 * count whenever they came, so a thread an earlier round answered is not answered again.
 */
function wasThere(comment: ThreadComment, freeze: number | null): boolean {
  return comment.bot || freeze === null || Date.parse(comment.createdAt) <= freeze;
}

/**
 * Edited at or after the freeze (within its second too, since GitHub's times are whole seconds);
 * with no freeze known, edited at all. Such a comment keeps no text: GitHub's edit history
 * (`userContentEdits`) gives an earlier revision only as a "summary of the changes", so the text
 * it had at the freeze cannot be had reliably, and a withheld text is the safe side.
 */
function editedSince(comment: ThreadComment, freeze: number | null): boolean {
  if (comment.bot || comment.lastEditedAt === null) return false;
  return freeze === null || !(Date.parse(comment.lastEditedAt) < freeze);
}

/**
 * The threads of a round, in the order the pull request has them, as of `freeze`: the unresolved
 * ones whose last word then was a writer's, each comment marked with whether its author writes.
 */
export async function threadsToAnswer(
  threads: ReviewThread[],
  freeze: number | null,
  canWrite: (login: string) => Promise<boolean>,
): Promise<RoundThread[]> {
  const chosen: RoundThread[] = [];
  for (const current of threads) {
    const thread = { ...current, comments: current.comments.filter((c) => wasThere(c, freeze)) };
    const last = thread.comments.at(-1);
    if (thread.resolved || last === undefined || last.bot) continue;
    if (!(await canWrite(last.author))) continue;
    const comments: RoundComment[] = [];
    for (const c of thread.comments) {
      comments.push({
        id: c.id,
        url: c.url,
        author: c.author,
        bot: c.bot,
        writer: !c.bot && (await canWrite(c.author)),
        body: editedSince(c, freeze) ? null : c.body,
      });
    }
    chosen.push({ ...thread, comments });
  }
  return chosen;
}

/**
 * A file as it was in a commit (`git show commit:path`), or null when that commit or file cannot
 * be had; what an outdated thread is shown at.
 */
export type OriginalFile = (commit: string, path: string) => Promise<string | null>;

/** The items as the task lists them, numbered from 1. */
export async function describeItems(
  items: RoundItem[],
  worktree: string,
  original: OriginalFile = () => Promise.resolve(null),
): Promise<string> {
  const parts: string[] = [];
  for (const [index, item] of items.entries()) {
    if ("thread" in item) {
      parts.push(await describeThread(index + 1, item.thread, worktree, original));
    } else {
      const { by, body } = item.conversation;
      parts.push(
        [
          `## Thread ${index + 1}: a comment on the pull request's conversation`,
          "",
          quoted({ author: by, writer: true, body }),
        ].join("\n"),
      );
    }
  }
  return parts.join("\n\n");
}

/**
 * A comment as the task quotes it: a writer's in `<comment>`, anyone else's in
 * `<untrusted_comment>`, which the prompt says is context, never instructions, and a bot's (an
 * earlier reply of Stamina's) in `<earlier_reply>`. No body can close its frame or open another.
 */
function quoted(c: {
  author: string;
  writer: boolean;
  bot?: boolean;
  body: string | null;
}): string {
  const text = c.body === null ? EDITED : sanitizeUntrusted(c.body, MAX_COMMENT_CHARS);
  if (c.bot === true) return framed("earlier_reply", text, { author: c.author, bot: "yes" });
  return c.writer
    ? framed("comment", text, { author: c.author })
    : framed("untrusted_comment", text, { author: c.author, permission: "read" });
}

async function describeThread(
  n: number,
  thread: RoundThread,
  worktree: string,
  original: OriginalFile,
): Promise<string> {
  const line = thread.line ?? thread.originalLine;
  const commit = thread.originalCommit ?? null;
  const where = thread.outdated
    ? `\`${thread.path}\`, an outdated line (line ${line ?? "?"}${commit === null ? "" : ` of the file in commit ${commit.slice(0, 12)},`} when it was written; the code has changed since)`
    : `\`${thread.path}\`${line === null ? "" : `, line ${line}`}`;
  const window =
    thread.outdated && commit !== null
      ? await originalWindow(original, commit, thread.path, line)
      : await fileWindow(worktree, thread.path, line);
  return [
    `## Thread ${n}: ${where}`,
    "",
    framed("diff_hunk", sanitizeUntrusted(thread.diffHunk, MAX_HUNK_CHARS)),
    "",
    window,
    "",
    ...thread.comments.map(quoted),
  ].join("\n");
}

/** The file around `line` as it was in `commit`, where the outdated thread was written. */
async function originalWindow(
  original: OriginalFile,
  commit: string,
  path: string,
  line: number | null,
): Promise<string> {
  const text = await original(commit, path);
  if (text === null) {
    return `(\`${path}\` as of commit ${commit.slice(0, 12)} cannot be read any more; open the file as it is now.)`;
  }
  const { from, to, shown } = windowOf(text, line);
  return framed("original_code", shown, {
    path,
    commit: commit.slice(0, 12),
    lines: `${from}-${to}`,
  });
}

/** The lines around `line`, numbered, the line itself marked. */
function windowOf(text: string, line: number | null): { from: number; to: number; shown: string } {
  const lines = text.split("\n");
  const at = Math.min(Math.max(line ?? 1, 1), lines.length);
  const from = Math.max(at - WINDOW, 1);
  const to = Math.min(at + WINDOW, lines.length);
  const shown = lines
    .slice(from - 1, to)
    .map((l, i) => `${String(from + i).padStart(5)}${from + i === at ? " > " : "   "}${l}`)
    .join("\n");
  return { from, to, shown };
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
  const { from, to, shown } = windowOf(text, line);
  return framed("file", shown, { path, lines: `${from}-${to}` });
}
