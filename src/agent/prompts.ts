// Prompt files as text with named variables. Rendering fails loudly on a
// missing or unknown variable, and each file's hash goes into the audit log
// so a run records which prompts decided it.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

export type PromptName =
  | "system"
  | "task"
  | "task-local"
  | "verify-failed"
  | "no-change"
  | "review"
  | "commit-message"
  | "continue"
  | "compact"
  | "compact-server"
  | "pinned"
  | "memory"
  | "answer"
  | "asked"
  | "denied"
  | "follow-up";

export interface RenderedPrompt {
  text: string;
  /** sha256 of the template file, for the audit log. */
  templateHash: string;
}

const cache = new Map<PromptName, string>();

function template(name: PromptName): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`./prompts/${name}.md`, import.meta.url), "utf8");
    cache.set(name, text);
  }
  return text;
}

export function renderPrompt(name: PromptName, vars: Record<string, string>): RenderedPrompt {
  const source = template(name);
  const used = new Set<string>();
  // One pass, so a value that itself contains {{...}} (an issue body) is never expanded.
  const text = source.replace(/\{\{([a-z_]+)\}\}/g, (_match, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new Error(`prompt ${name}: no value for {{${key}}}`);
    used.add(key);
    return value;
  });
  const unused = Object.keys(vars).filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`prompt ${name}: unused variables ${unused.join(", ")}`);
  return { text, templateHash: createHash("sha256").update(source).digest("hex") };
}

/**
 * The tags the prompts frame text in. Text from outside the harness (an issue, a comment, a file,
 * a command's output, a diff, the memory's notes) is written inside one of these, and none of it
 * may open or close one: `untrusted` escapes every one of them, so a `</issue_body>` in an issue
 * stays text inside its frame.
 */
const FRAME_TAGS = [
  "task",
  "issue_body",
  "issue_comment",
  "untrusted_issue_comment",
  "pull_request_body",
  "comment",
  "untrusted_comment",
  "earlier_reply",
  "diff",
  "diff_hunk",
  "file",
  "original_code",
  "answer",
  "memory_notes",
  "repository_instructions",
  "check_output",
] as const;

const FRAME_TAG = new RegExp(`<(\\s*/?\\s*(?:${FRAME_TAGS.join("|")})\\b)`, "gi");

/**
 * `text` made safe to put inside any frame of the prompts: every opening or closing tag of a
 * frame in it becomes `&lt;…`, so it can neither end its own frame nor start another.
 */
export function untrusted(text: string): string {
  return text.replace(FRAME_TAG, "&lt;$1");
}

/** `text` inside `<tag …attributes>…</tag>`, escaped by `untrusted`; attribute values too. */
export function framed(
  tag: (typeof FRAME_TAGS)[number],
  text: string,
  attributes: Record<string, string> = {},
): string {
  const attrs = Object.entries(attributes)
    .map(([name, value]) => ` ${name}="${value.replace(/[^A-Za-z0-9_.:/@[\] -]/g, "")}"`)
    .join("");
  return `<${tag}${attrs}>\n${untrusted(text)}\n</${tag}>`;
}

/**
 * The maintainers' instructions (the config's and the instruction files', joined when the run
 * was queued) as the task prompts' `instructions`: "" when there are none.
 */
export function repositoryInstructions(text: string): string {
  if (text === "") return "";
  return `\n\nThe maintainers' instructions for work in this repository:\n\n${framed("repository_instructions", text)}`;
}
