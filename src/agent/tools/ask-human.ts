// The `ask_human` tool: the model asks the maintainers a question it cannot
// answer from the code. Under GitHub the step ends, the run pauses with the
// question on the issue, and the call's tool_result is held back until a
// writer replies: the reply is the result. A local `stamina run` has nobody
// to ask, so the tool says so at once and the model goes on by its judgement.
import { z } from "zod";
import type { Tool, ToolOutcome } from "../ports.ts";
import { orJsonText, parseToolInput } from "./input.ts";

const askInput = z.object({
  question: z
    .string()
    .trim()
    .min(1, "question must say what you want to know")
    .max(4_000, "question must be at most 4,000 characters"),
  context: z
    .string()
    .trim()
    .max(8_000, "context must be at most 8,000 characters")
    .optional()
    .transform((c) => (c === "" ? undefined : c)),
  options: orJsonText(
    z
      .array(
        z
          .string()
          .trim()
          .min(1, "each option must say something")
          .max(500, "each option must be at most 500 characters"),
      )
      .max(10, "give at most 10 options"),
  ).optional(),
});

/** What the model reads when nobody can answer (a local run). */
const NOBODY_TO_ASK =
  "Nobody can answer questions in this run: it is a local `stamina run` with no maintainer watching. Go on with your best judgement, choose the safest reasonable reading of the task, and say in your final summary what you assumed.";

/** `canAsk`: a person will see the question (a run on GitHub). */
export function createAskHumanTool(canAsk: boolean): Tool {
  return {
    definition: {
      name: "ask_human",
      description:
        "Ask the maintainers a question you cannot answer from the code, the issue or the tests: a decision that is theirs (which behaviour they want, whether a breaking change is acceptable), or missing information. The run pauses until a maintainer replies; the reply is this tool's result. Ask rarely, one clear question at a time, after looking for the answer yourself.",
      input_schema: {
        type: "object",
        properties: {
          question: { type: "string", description: "The question, in one or two sentences." },
          context: {
            type: "string",
            description: "What you found and why it matters, so the question can be answered.",
          },
          options: {
            type: "array",
            items: { type: "string" },
            description: "The answers you see, when there are a few to choose from.",
          },
        },
        required: ["question"],
      },
    },
    execute(rawInput): Promise<ToolOutcome> {
      const parsed = parseToolInput("ask_human", askInput, rawInput);
      if (!parsed.ok) return Promise.resolve(parsed.outcome);
      if (!canAsk) {
        return Promise.resolve({ output: NOBODY_TO_ASK, isError: false, readOnly: true });
      }
      const { question, context, options } = parsed.data;
      return Promise.resolve({
        // Held back: the maintainer's answer replaces it before the model reads it.
        output: "The question is posted on the issue; the run waits for a maintainer's answer.",
        isError: false,
        readOnly: true,
        pause: {
          source: "ask_human",
          reason: question,
          details: { ...(context ? { context } : {}), ...(options ? { options } : {}) },
        },
      });
    },
  };
}
