// A long scripted session for the context manager's tests and the tokens benchmark: the model
// reads one file after another (each result a few kilobytes), writes its plan first (and, when
// asked, brings it up to date every so often), edits a file once, and ends; a request that asks
// for a summary (the compaction prompt) is answered with one. Every turn is the same function,
// so compaction calls fit in anywhere.
import type {
  RecordedModelRequest,
  ScriptedMessage,
  ScriptedTurn,
} from "../support/model-server/index.ts";
import { reply, text, toolUse } from "../support/model-server/index.ts";

export const PLAN_STEP = "Read every module of the fixture";

/** An issue as a long session is given it: what the tokens benchmark checks every request carries. */
export const SESSION_ISSUE = [
  "Modules under src/ disagree about how they describe themselves.",
  "",
  "Each src/mN.txt file repeats one line naming its module and a number. We want a single",
  "notes.txt at the top of the repository that records, for every module, that it was read and",
  "whether its line matches the pattern `module N: the quick brown fox jumps over the lazy dog M`",
  "with M = N * 7919. Read every module; do not change any of them. Write notes.txt as you go so",
  "a reviewer can follow the work, and say at the end which modules, if any, break the pattern.",
  "",
  "Acceptance: notes.txt exists, lists every module once, and no file under src/ is modified.",
].join("\n");

/** The repository's instructions (an AGENTS.md) a long session is given. */
export const SESSION_INSTRUCTIONS = [
  "# Working in this repository",
  "",
  "- Never edit files under src/: they are generated fixtures and are checked byte for byte.",
  "- Keep notes in notes.txt at the top level, one line per module, in the order read.",
  "- Prefer the editor's view command over shell commands for reading files.",
  "- Keep the plan current with update_plan: mark a step done as soon as it is done.",
  "- Commit nothing yourself; the run's milestones commit for you.",
  "- When unsure whether a module breaks the pattern, say so in notes.txt rather than guessing.",
].join("\n");
const SUMMARY_HEADING = "## Goal";

/** Files of about `bytes` each, different enough that no two results are alike. */
export function readableFiles(count: number, bytes: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const line = `module ${i}: the quick brown fox jumps over the lazy dog ${i * 7919}\n`;
    files[`src/m${i}.txt`] = line.repeat(Math.ceil(bytes / line.length));
  }
  return files;
}

export function isSummaryRequest(request: RecordedModelRequest): boolean {
  return JSON.stringify(request.body.messages.at(-1)).includes("about to be compacted");
}

export interface ScriptOptions {
  /** Tool calls before the model ends its turn. */
  calls: number;
  files: number;
  /** Runs before each answer, e.g. to move an injected clock (the model's latency). */
  onTurn?: (request: RecordedModelRequest) => void;
  /** Replaces the n-th call's answer (0-based), e.g. with a turn cut at the context window. */
  override?: (n: number) => ScriptedMessage | undefined;
  /** Every this many calls the model brings its plan up to date (update_plan); never if unset. */
  planEvery?: number;
}

/** The plan as the model writes it after `read` calls: what is done, and what it is doing. */
function planAfter(read: number): Array<{ step: string; status: "done" | "in_progress" }> {
  return [
    { step: `Read the first ${read} modules`, status: "done" },
    { step: PLAN_STEP, status: "in_progress" },
  ];
}

export function longSession(options: ScriptOptions): ScriptedTurn[] {
  let made = 0;
  let ended = 0;
  const turn = (request: RecordedModelRequest): ScriptedMessage => {
    options.onTurn?.(request);
    if (isSummaryRequest(request)) {
      return reply(
        text(
          `${SUMMARY_HEADING}\nRead the modules.\n## Done\n- read ${made} files\n## Next steps\n- go on`,
        ),
      );
    }
    if (made < options.calls) {
      const n = made++;
      const special = options.override?.(n);
      if (special) return special;
      if (n === 0) {
        return reply(
          toolUse("update_plan", { plan: [{ step: PLAN_STEP, status: "in_progress" }] }),
        );
      }
      if (options.planEvery !== undefined && n > 1 && n % options.planEvery === 0) {
        return reply(toolUse("update_plan", { plan: planAfter(n) }));
      }
      if (n === 1) {
        return reply(
          toolUse("str_replace_based_edit_tool", {
            command: "create",
            path: "notes.txt",
            file_text: "read so far\n",
          }),
        );
      }
      return reply(
        toolUse("str_replace_based_edit_tool", {
          command: "view",
          path: `src/m${n % options.files}.txt`,
        }),
      );
    }
    ended += 1;
    return reply(text(ended === 1 ? "Read them all." : "Read every module; notes.txt says so."));
  };
  // More turns than any run asks for: the same function answers each.
  return Array.from({ length: options.calls * 2 + 20 }, () => turn);
}
