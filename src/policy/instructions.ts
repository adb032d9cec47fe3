// The repository's instructions for the agent: the config's own `instructions` and the
// instruction files other agents read (AGENTS.md, CLAUDE.md, Copilot's), cleaned of hidden
// content, each cut to size with a note, joined into the text the run keeps.
import { CONFIG_PATH, MAX_INSTRUCTIONS_CHARS } from "./config.ts";
import { sanitizeUntrusted } from "./sanitize.ts";

/** Read from the default branch, in this order. */
export const INSTRUCTION_FILES = ["AGENTS.md", "CLAUDE.md", ".github/copilot-instructions.md"];
export const MAX_INSTRUCTION_FILE_CHARS = 16_000;

export interface InstructionFile {
  path: string;
  text: string;
}

/**
 * One text, every part headed by where it came from; "" when there is nothing. It fits the
 * config's `instructions` key, so the run keeps it in its resolved config (and its audit log).
 */
export function joinInstructions(own: string, files: InstructionFile[]): string {
  const parts = [
    { path: CONFIG_PATH, text: sanitizeUntrusted(own, MAX_INSTRUCTIONS_CHARS, CONFIG_PATH) },
    ...files.map((f) => ({
      path: f.path,
      text: sanitizeUntrusted(f.text, MAX_INSTRUCTION_FILE_CHARS, `\`${f.path}\``),
    })),
  ].filter((p) => p.text.trim() !== "");
  const joined = parts.map((p) => `From \`${p.path}\`:\n\n${p.text.trim()}`).join("\n\n");
  if (joined.length <= MAX_INSTRUCTIONS_CHARS) return joined;
  const note = `\n\n[… ${(joined.length - MAX_INSTRUCTIONS_CHARS).toLocaleString("en-US")}+ more characters of the instructions were cut …]`;
  return joined.slice(0, MAX_INSTRUCTIONS_CHARS - note.length) + note;
}
