// A long scripted session for the context manager's tests and the tokens benchmark: the model
// reads one file after another (each result a few kilobytes), writes its plan first, edits a
// file once, and ends; a request that asks for a summary (the compaction prompt) is answered
// with one. Every turn is the same function, so compaction calls fit in anywhere.
import type {
  RecordedModelRequest,
  ScriptedMessage,
  ScriptedTurn,
} from "../support/model-server/index.ts";
import { reply, text, toolUse } from "../support/model-server/index.ts";

export const PLAN_STEP = "Read every module of the fixture";
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
