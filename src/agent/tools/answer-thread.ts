// The `answer_thread` tool of a run that answers a review: for each numbered
// review thread in the task, what the reply in that thread says, and whether
// the run changed the code for it, answered a question, or declines (with its
// reason). The harness posts the replies after the round's commit is pushed,
// with its link, and resolves the threads whose request was done.
import { z } from "zod";
import type { Tool, ToolOutcome } from "../ports.ts";
import { parseToolInput } from "./input.ts";

/** How the run dealt with a thread: changed the code, answered it, or declined with a reason. */
type ThreadOutcome = "changed" | "answered" | "declined";

export interface ThreadAnswer {
  thread: number;
  outcome: ThreadOutcome;
  reply: string;
}

const answerInput = z.object({
  thread: z.coerce.number().int().min(1, "thread is the number of a thread in the task"),
  outcome: z.enum(["changed", "answered", "declined"]),
  reply: z
    .string()
    .trim()
    .min(1, "reply must say something to the reviewer")
    .max(10_000, "reply must be at most 10,000 characters"),
});

export function createAnswerThreadTool(options: {
  /** How many threads the task numbers. */
  threads: number;
  onAnswer: (answer: ThreadAnswer) => Promise<void>;
}): Tool {
  return {
    definition: {
      name: "answer_thread",
      description:
        'Set your reply in one review thread of the task (by its number). outcome "changed": you changed the code as asked (say what; the harness adds the commit link, and resolves the thread); "answered": the comment is a question, and the reply is the answer, or it does not clearly ask for anything, and the reply asks what is wanted (no change for it); "declined": you do not make the change, and the reply says why. Call it once for every thread; a later call for the same thread replaces the earlier one. The replies are posted when the round ends.',
      input_schema: {
        type: "object",
        properties: {
          thread: { type: "integer", description: "The thread's number in the task." },
          outcome: { type: "string", enum: ["changed", "answered", "declined"] },
          reply: { type: "string", description: "The reply, in Markdown, to the reviewer." },
        },
        required: ["thread", "outcome", "reply"],
      },
    },
    async execute(rawInput): Promise<ToolOutcome> {
      const parsed = parseToolInput("answer_thread", answerInput, rawInput);
      if (!parsed.ok) return parsed.outcome;
      const answer = parsed.data;
      if (answer.thread > options.threads) {
        return {
          output: `There is no thread ${answer.thread}: the task has ${options.threads}.`,
          isError: true,
          readOnly: true,
        };
      }
      await options.onAnswer(answer);
      return {
        output: `Reply for thread ${answer.thread} kept (${answer.outcome}); it is posted when the round ends.`,
        isError: false,
        readOnly: true,
      };
    },
  };
}
