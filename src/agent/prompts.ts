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
 * The maintainers' instructions (the config's and the instruction files', joined when the run
 * was queued) as the task prompts' `instructions`: "" when there are none.
 */
export function repositoryInstructions(text: string): string {
  if (text === "") return "";
  return `\n\nThe maintainers' instructions for work in this repository:\n\n<repository_instructions>\n${text}\n</repository_instructions>`;
}
