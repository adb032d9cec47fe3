// The `update_plan` tool: the checklist people see while the run works (the
// tracking comment, the CLI). The whole plan each time; the loop keeps it in
// its state, so a resumed run shows the same plan.
import { z } from "zod";
import type { PlanItem, PlanStatus, Tool, ToolOutcome } from "../ports.ts";
import { orJsonText, parseToolInput } from "./input.ts";

const STATUS: Record<string, PlanStatus> = {
  pending: "pending",
  todo: "pending",
  not_started: "pending",
  in_progress: "in_progress",
  "in progress": "in_progress",
  active: "in_progress",
  doing: "in_progress",
  done: "done",
  completed: "done",
  complete: "done",
  finished: "done",
};

const status = z.preprocess(
  (v) => (typeof v === "string" ? (STATUS[v.trim().toLowerCase()] ?? v) : v),
  z.enum(["pending", "in_progress", "done"]),
);

const item = z.union([
  z.object({ step: z.string().trim().min(1, "a step must say what it is").max(300), status }),
  // A bare string is a step not started yet.
  z
    .string()
    .trim()
    .min(1)
    .max(300)
    .transform((step) => ({ step, status: "pending" as const })),
]);

const planInput = z.preprocess(
  // Some models name the list after what is in it.
  (v) => {
    if (typeof v !== "object" || v === null || "plan" in v) return v;
    const r = v as Record<string, unknown>;
    return { plan: r.steps ?? r.items ?? r.todos };
  },
  z.object({ plan: orJsonText(z.array(item).max(50, "a plan has at most 50 steps")) }),
);

export function createUpdatePlanTool(onPlan: (plan: PlanItem[]) => Promise<void>): Tool {
  return {
    definition: {
      name: "update_plan",
      description:
        "Set the plan people see while you work: the whole checklist each time, every step with its status (pending, in_progress or done). Write it after orienting yourself, and update it as steps get done.",
      input_schema: {
        type: "object",
        properties: {
          plan: {
            type: "array",
            items: {
              type: "object",
              properties: {
                step: { type: "string" },
                status: { type: "string", enum: ["pending", "in_progress", "done"] },
              },
              required: ["step", "status"],
            },
          },
        },
        required: ["plan"],
      },
    },
    async execute(rawInput): Promise<ToolOutcome> {
      const parsed = parseToolInput("update_plan", planInput, rawInput);
      if (!parsed.ok) return parsed.outcome;
      await onPlan(parsed.data.plan);
      const done = parsed.data.plan.filter((p) => p.status === "done").length;
      return {
        output: `Plan updated: ${done} of ${parsed.data.plan.length} steps done.`,
        isError: false,
        readOnly: true,
      };
    },
  };
}
