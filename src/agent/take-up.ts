// How a paused loop takes up again: with the answer it waited for, or not at
// all (nobody answered yet, so it pauses again). A reply to the watchdog is a
// message of its own; an answer to `ask_human` and the decision on a held
// checkpoint become that call's tool_result, so every tool_use keeps its
// result; a budget extension changes the budget the loop counts against.
import type Anthropic from "@anthropic-ai/sdk";
import type { Budget, BudgetName, BudgetStop } from "./budget.ts";
import type {
  AgentResume,
  AgentSnapshot,
  AuditSink,
  MilestonePort,
  PauseRequest,
} from "./ports.ts";
import { renderPrompt, untrusted } from "./prompts.ts";
import { sanitizeUntrusted } from "../policy/sanitize.ts";

/** How much of a person's answer to a pause the model reads. */
const MAX_ANSWER_CHARS = 20_000;

export type TakeUp =
  /** Nobody answered the pause yet (or the answer raised another): the loop pauses again. */
  | { kind: "wait"; pause: PauseRequest }
  /** Go on, reading `message` first when there is one. */
  | { kind: "go"; message?: Anthropic.MessageParam }
  /** A writer denied the budget extension: the run ends out of budget. */
  | { kind: "out_of_budget"; pause: PauseRequest };

export interface TakeUpContext {
  audit: AuditSink;
  milestones: MilestonePort;
  signal: AbortSignal;
  /** The step the run stopped after. */
  step: number;
}

/** Settles the pause `state` stopped at with what `resume` brings; clears it once settled. */
export async function takeUp(
  state: AgentSnapshot,
  resume: AgentResume | undefined,
  ctx: TakeUpContext,
): Promise<TakeUp> {
  const pause = state.pause ?? null;
  const answer = resume?.answer;
  const decision = resume?.decision;
  let taken: TakeUp;
  if (pause === null || pause.source === "watchdog") {
    if (pause !== null && !answer) return { kind: "wait", pause };
    taken = { kind: "go", ...(answer ? { message: await answered(ctx, answer, "answer") } : {}) };
  } else if (pause.source === "ask_human") {
    if (!answer) return { kind: "wait", pause };
    const text = (await answered(ctx, answer, "asked")).content as string;
    taken = { kind: "go", message: heldReply(state, pause, text) };
  } else if (!decision) {
    return { kind: "wait", pause };
  } else {
    await ctx.audit.record("agent.decision", {
      step: ctx.step,
      source: pause.source,
      granted: decision.granted,
      by: decision.by,
    });
    if (pause.source === "budget") {
      if (!decision.granted) return { kind: "out_of_budget", pause };
      const share = typeof pause.details?.share === "number" ? pause.details.share : 0;
      state.budgetGranted = (state.budgetGranted ?? 0) + share;
      taken = { kind: "go" };
    } else {
      const settled = await settleHeldChange(ctx, pause, decision);
      if (typeof settled !== "string") return { kind: "wait", pause: settled };
      taken = { kind: "go", message: heldReply(state, pause, settled) };
    }
  }
  state.pause = null;
  state.held = null;
  return taken;
}

async function answered(
  ctx: TakeUpContext,
  answer: { by: string; text: string },
  prompt: "answer" | "asked",
): Promise<Anthropic.MessageParam> {
  // Appended like any step's message, so the next checkpoint keeps it and a retry has it.
  const text = sanitizeUntrusted(answer.text, MAX_ANSWER_CHARS);
  await ctx.audit.record("agent.answered", { step: ctx.step, by: answer.by, answer: text });
  return {
    role: "user",
    content: renderPrompt(prompt, { by: answer.by, answer: untrusted(text) }).text,
  };
}

/**
 * What the held checkpoint call answers: pushed once approved, or rolled back once denied. A
 * change that still needs approval (it differs from the one approved) is a new pause.
 */
async function settleHeldChange(
  ctx: TakeUpContext,
  pause: PauseRequest,
  decision: { by: string; granted: boolean },
): Promise<string | PauseRequest> {
  const message = typeof pause.details?.message === "string" ? pause.details.message : "";
  if (decision.granted) {
    const milestone = await ctx.milestones.checkpoint(
      { message: message || "Work in progress", reason: "tool" },
      ctx.signal,
    );
    if (milestone.held) {
      return { ...milestone.held, details: { ...milestone.held.details, message } };
    }
    const sha = milestone.sha === null ? "nothing new to commit" : milestone.sha.slice(0, 12);
    return `@${decision.by} approved this change. Checkpoint ${milestone.pushed ? "committed and pushed" : "committed"}: ${sha}.`;
  }
  if (!ctx.milestones.rollback) throw new Error("a change was held, but nothing can roll it back");
  const sha = await ctx.milestones.rollback(ctx.signal);
  return renderPrompt("denied", { by: decision.by, what: pause.reason, sha: sha.slice(0, 12) })
    .text;
}

/**
 * The reply the paused step held back, with the waiting call's tool_result now saying `text`.
 * Every other block (other calls' results, a nudge) goes out as it was written.
 */
function heldReply(
  state: AgentSnapshot,
  pause: PauseRequest,
  text: string,
): Anthropic.MessageParam {
  const id = pause.details?.toolUseId;
  const held = state.held ?? [];
  const content = held.map((block) =>
    block.type === "tool_result" && block.tool_use_id === id
      ? { ...block, content: text, is_error: false }
      : block,
  );
  if (typeof id === "string" && !held.some((b) => b.type === "tool_result")) {
    content.unshift({ type: "tool_result", tool_use_id: id, content: text, is_error: false });
  }
  return { role: "user", content };
}

/**
 * The pause of a budget run out, when writers may extend it: what ran out, and what
 * `/stamina approve` adds (`share` of each configured budget).
 */
export function budgetPause(
  over: BudgetStop,
  configured: Budget,
  share: number,
  step: number,
): PauseRequest {
  const more = {
    steps: Math.round(configured.steps * share),
    tokens: Math.round(configured.tokens * share),
    dollars: configured.dollars * share,
    minutes: configured.minutes * share,
  };
  return {
    source: "budget",
    reason: over.message.replace(/; this is the work so far\.$/, "."),
    details: { step, budget: over.budget, limit: over.limit, spent: over.spent, share, more },
  };
}

/** The budget stop of a denied extension, from what the pause recorded. */
export function deniedExtension(pause: PauseRequest): BudgetStop {
  const d = pause.details ?? {};
  const name = typeof d.budget === "string" ? (d.budget as BudgetName) : "steps";
  return {
    budget: name,
    limit: typeof d.limit === "number" ? d.limit : 0,
    spent: typeof d.spent === "number" ? d.spent : 0,
    message: `${pause.reason.replace(/\.$/, "")}, and the extension was denied; this is the work so far.`,
  };
}
