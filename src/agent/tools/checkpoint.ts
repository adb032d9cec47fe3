// The `checkpoint` tool: commit the work so far with a message. Under GitHub
// the harness also pushes it, so a crash or a stop loses nothing committed.
import { z } from "zod";
import { cleanCommitWords, commitProblems, SUBJECT_MAX } from "../commit-message.ts";
import type { MilestonePort, Tool, ToolOutcome } from "../ports.ts";
import { parseToolInput } from "./input.ts";

const checkpointInput = z.object({
  message: z
    .string()
    .trim()
    .min(1, "message must say what the commit holds")
    .max(5_000, "message must be at most 5,000 characters"),
});

/**
 * `mayAskAgain`: whether a message out of git's form is sent back once more (commit-message.ts);
 * once it was, the harness commits what it can make of the message.
 */
export function createCheckpointTool(milestones: MilestonePort, mayAskAgain: () => boolean): Tool {
  return {
    definition: {
      name: "checkpoint",
      description:
        'Commit the work so far to the run\'s branch with a commit message: a subject line that says what the commit does, in the imperative ("Add …", "Fix …"), at most 72 characters; a blank line; a body that says why. No trailers (Co-authored-by, Signed-off-by): the harness adds its own. Use it at milestones: a part of the plan done and working. The harness commits; do not run git commit yourself.',
      input_schema: {
        type: "object",
        properties: {
          message: { type: "string", description: "The commit message." },
        },
        required: ["message"],
      },
    },
    async execute(rawInput, signal): Promise<ToolOutcome> {
      const parsed = parseToolInput("checkpoint", checkpointInput, rawInput);
      if (!parsed.ok) return parsed.outcome;
      const problems = commitProblems(cleanCommitWords(parsed.data.message), false);
      if (problems.length > 0 && mayAskAgain()) {
        return {
          output: `Nothing was committed: the commit message does not hold git's form, as ${problems.join("; ")}. Call checkpoint again with a subject line that says what the commit does, in the imperative ("Add …", "Fix …"), at most ${SUBJECT_MAX} characters; then, after a blank line, a body that says why.`,
          isError: true,
          readOnly: true,
        };
      }
      const milestone = await milestones.checkpoint(
        { message: parsed.data.message, reason: "tool" },
        signal,
      );
      if (milestone.held) {
        // Held back until a writer answers: the answer says whether it was pushed or rolled back.
        return {
          output: "This change needs a maintainer's approval before it is pushed; the run waits.",
          isError: false,
          readOnly: true,
          pause: {
            ...milestone.held,
            details: { ...milestone.held.details, message: parsed.data.message },
          },
        };
      }
      const note = milestone.leftOut ? `\n${leftOutText(milestone.leftOut)}` : "";
      if (milestone.sha === null) {
        return {
          output: `Nothing to commit: the worktree has no change since the last commit.${note}`,
          isError: false,
          readOnly: true,
        };
      }
      const where = milestone.pushed ? "committed and pushed" : "committed";
      return {
        output: `Checkpoint ${where}: ${milestone.sha.slice(0, 12)}.${note}`,
        isError: false,
        details: { sha: milestone.sha, pushed: milestone.pushed },
      };
    },
  };
}

/** Repositories nested in the worktree, left out by the harness (workspace/worktree-guard.ts). */
function leftOutText(paths: string[]): string {
  const shown = paths.slice(0, 10).map((p) => `${p}/`);
  const more = paths.length > shown.length ? ` and ${paths.length - shown.length} more` : "";
  return `Left out of the commit: ${shown.join(", ")}${more}, each a git repository of its own inside the worktree. Stamina never runs git over a repository it did not check out (its config could run programs); if those files belong in the change, delete the nested .git (rm -rf <path>/.git) and checkpoint again.`;
}
