// Commit messages a reviewer can read. The model writes them: the `## Commit message` section
// of the reply that ends its turn, or the `checkpoint` tool's message. The harness holds them
// to git's form (an imperative subject of at most 72 characters, a blank line, a body that says
// why), asks the model again once when they do not hold it, and otherwise writes a plain
// subject naming the files. The model's text is hostile input: control characters go, the
// subject is one line, and no trailer of its own survives (who is credited, and which audit
// head a commit carries, are the harness's to say).

export const SUBJECT_MAX = 72;
const BODY_MAX = 5_000;

/** A commit message as the harness will write it, before its trailers. */
export interface CommitWords {
  subject: string;
  body: string;
}

/** The reply that ends a turn, by its sections (see the system prompt's form). */
export interface FinalReply {
  /** For the pull request's summary: the text under `## Summary` and before any section. */
  summary: string;
  /** `## What changed`: the model's account of the whole diff; null when it wrote none. */
  changes: string | null;
  /** `## Commit message`, as written; null when it wrote none. */
  commit: string | null;
}

const SECTION = /^\s{0,3}#{1,4}\s*(summary|what changed|commit message)\s*:?\s*#*\s*$/i;

export function readFinalReply(text: string): FinalReply {
  const parts: Record<"summary" | "what changed" | "commit message", string[]> = {
    summary: [],
    "what changed": [],
    "commit message": [],
  };
  const seen = new Set<string>();
  let current: keyof typeof parts = "summary";
  for (const line of text.replace(/\r\n?/g, "\n").split("\n")) {
    const heading = SECTION.exec(line);
    if (heading) {
      current = heading[1]!.toLowerCase() as keyof typeof parts;
      seen.add(current);
      continue;
    }
    parts[current].push(line);
  }
  const joined = (key: keyof typeof parts) => parts[key].join("\n").trim();
  return {
    summary: joined("summary"),
    changes:
      seen.has("what changed") && joined("what changed") !== "" ? joined("what changed") : null,
    commit:
      seen.has("commit message") && joined("commit message") !== ""
        ? joined("commit message")
        : null,
  };
}

/** Control characters, line breaks included, and the marks that reorder or hide text. */
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

/**
 * A line git or GitHub would read as a trailer the harness alone may write: any `…-by:` line
 * (`Co-authored-by`, `Signed-off-by`, `Reviewed-by`), the audit's `Stamina-…` lines, `Change-Id`.
 */
function isTrailerLine(line: string): boolean {
  return /^\s*(?:[A-Za-z][\w-]*-by|Stamina-[\w-]+|Change-Id)\s*:/i.test(line);
}

/** The model's message as plain text: no control characters, no trailers, no code fence. */
export function cleanCommitWords(raw: string): CommitWords {
  const lines = raw
    .replace(/\r\n?/g, "\n")
    .replace(/\t/g, " ")
    .split("\n")
    .map((line) => line.replace(CONTROL, ""))
    .filter((line) => !isTrailerLine(line) && !/^\s*(?:`{3,}|~{3,})\s*\w*\s*$/.test(line));
  const start = lines.findIndex((line) => line.trim() !== "");
  if (start === -1) return { subject: "", body: "" };
  const subject = lines[start]!.replace(/\s+/g, " ")
    .replace(/^\s*(?:[#>*-]+\s+)?(?:subject\s*:\s*)?/i, "")
    .replace(/^(["'`])(.*)\1$/, "$2")
    .replace(/\.+\s*$/, "")
    .trim();
  const body = lines
    .slice(start + 1)
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
  return { subject, body: body.slice(0, BODY_MAX) };
}

/** First words that do not start an imperative subject ("This commit…", "We…", "The…"). */
const NOT_VERBS = new Set(["this", "these", "that", "i", "we", "it", "the", "wip"]);

/**
 * Whether the subject reads as an order ("Fix the parser"), judged by its first word: not a
 * past tense ("Fixed"), a gerund ("Fixing") or a third person ("Fixes"). A heuristic: it asks the
 * model to look again, never rejects a change.
 */
export function imperative(subject: string): boolean {
  const word = (/^[A-Za-z]+/.exec(subject)?.[0] ?? "").toLowerCase();
  if (word === "" || NOT_VERBS.has(word)) return false;
  if (word.length > 4 && word.endsWith("ed") && !word.endsWith("eed") && word !== "embed") {
    return false;
  }
  if (word.length > 5 && word.endsWith("ing")) return false;
  if (word.length > 3 && /[^suia]s$/.test(word)) return false;
  return true;
}

/**
 * What keeps `words` from git's form, in words for the model; empty when it holds. A milestone
 * of the `checkpoint` tool may go without a body (`needsBody: false`); the finished work may not.
 */
export function commitProblems(words: CommitWords, needsBody = true): string[] {
  const problems: string[] = [];
  if (words.subject === "") return ["it has no subject line"];
  if (words.subject.length > SUBJECT_MAX) {
    problems.push(`its subject has ${words.subject.length} characters, more than ${SUBJECT_MAX}`);
  }
  if (!imperative(words.subject)) {
    problems.push(
      `its subject does not read as an order: say what the commit does, as in "Fix …", "Add …", "Remove …" (not "Fixed …", "Fixes …" or "This commit …")`,
    );
  }
  if (needsBody && words.body === "") problems.push("it has no body saying why the change is made");
  return problems;
}

/** Where the loop's snapshot (`hooks`) keeps that the model was asked once to mend a message. */
const ASKED = "commit_message_asked";

/**
 * Whether the model may still be asked to write a message again: true once a run (the turn end
 * and the `checkpoint` tool share it), after which the harness mends or replaces the message.
 */
export function mayAskAgain(hooks: Record<string, unknown>): boolean {
  if (hooks[ASKED] === true) return false;
  hooks[ASKED] = true;
  return true;
}

/** The message as git readers expect it: subject, a blank line, the body. */
export function renderCommit(words: CommitWords): string {
  return words.body === "" ? words.subject : `${words.subject}\n\n${words.body}`;
}

/** Paths the diff touches, in its order: `diff --git a/x b/x` (renames: the new path). */
export function filesOfDiff(diff: string): string[] {
  const files: string[] = [];
  for (const match of diff.matchAll(/^diff --git a\/.* b\/(.*)$/gm)) {
    const path = match[1]!;
    if (!files.includes(path)) files.push(path);
  }
  return files;
}

/**
 * A subject the harness writes when the model gave none it could use: the files it changes,
 * "Update src/a.ts and src/b.ts", "Update src/a.ts, src/b.ts and 4 more files".
 */
export function harnessSubject(files: readonly string[], verb = "Update"): string {
  if (files.length === 0) return `${verb} the work so far`;
  const clean = files.map((f) => f.replace(CONTROL, "").replace(/\s+/g, " "));
  for (let shown = Math.min(clean.length, 3); shown >= 1; shown -= 1) {
    const rest = clean.length - shown;
    const names = clean.slice(0, shown);
    const list =
      rest > 0
        ? `${names.join(", ")} and ${rest} more file${rest === 1 ? "" : "s"}`
        : names.length === 1
          ? names[0]!
          : `${names.slice(0, -1).join(", ")} and ${names.at(-1)!}`;
    const subject = `${verb} ${list}`;
    if (subject.length <= SUBJECT_MAX) return subject;
  }
  return `${verb} ${clean.length} file${clean.length === 1 ? "" : "s"}`;
}

const FALLBACK_BODY =
  "The model gave no commit message in the form the harness asks for, so the harness names the files the change touches.";

/**
 * The commit message for the work as the model's reply describes it: its `## Commit message`
 * when that holds git's form (a subject too long is cut, its end kept in the body); otherwise a
 * subject naming `files`, with the model's body when it wrote one.
 */
export function commitFromReply(reply: string, files: readonly string[]): CommitWords {
  const written = readFinalReply(reply).commit;
  const words = written === null ? null : cleanCommitWords(written);
  if (words !== null && words.subject !== "" && imperative(words.subject)) {
    return fitSubject(words);
  }
  return { subject: harnessSubject(files), body: words?.body || FALLBACK_BODY };
}

/** A subject over the limit cut at a word, what was cut carried into the body. */
function fitSubject(words: CommitWords): CommitWords {
  if (words.subject.length <= SUBJECT_MAX) return words;
  const cut = words.subject.lastIndexOf(" ", SUBJECT_MAX - 1);
  const at = cut > SUBJECT_MAX / 2 ? cut : SUBJECT_MAX - 1;
  const subject = `${words.subject.slice(0, at).trimEnd()}…`;
  const overflow = `…${words.subject.slice(at).trimStart()}`;
  return { subject, body: [overflow, words.body].filter((p) => p !== "").join("\n\n") };
}

/**
 * The work so far, committed before a limit ends the run: "WIP: " and what it holds, and a body
 * that says which limit stopped it, so a reviewer never takes it for a finished change.
 */
export function wipFromReply(reply: string, files: readonly string[], why: string): CommitWords {
  const words = commitFromReply(reply, files);
  return wipCommit(words.body === FALLBACK_BODY ? { ...words, body: "" } : words, why);
}

export function wipCommit(words: CommitWords, why: string): CommitWords {
  const subject = words.subject.replace(/^WIP:\s*/i, "");
  const fitted = fitSubject({ subject: `WIP: ${subject}`, body: "" });
  const stopped = why.replace(CONTROL, "").trim();
  return {
    subject: fitted.subject,
    body: [fitted.body, stopped, words.body].filter((p) => p !== "").join("\n\n"),
  };
}

/**
 * The message of the commit that ends a run: the `## Commit message` of the model's last reply
 * (or a subject naming `files`); "WIP: …" with the reason when it stopped before it finished.
 */
export function finalCommitMessage(
  agent: { stop: string; summary: string; message: string },
  files: readonly string[],
): string {
  if (agent.stop === "completed" || agent.stop === "no_change") {
    return renderCommit(commitFromReply(agent.summary, files));
  }
  return renderCommit(wipFromReply(agent.summary, files, agent.message));
}
