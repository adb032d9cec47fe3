// The comment a paused run leaves on its issue, one per pause: what went
// wrong or what is asked, in the words of whoever asked (the watchdog, the
// model's question, the approval policy, a budget run out), and exactly what
// each answer does.
import type { PauseRequest } from "../agent/ports.ts";

/** How an answer is tied to the request it answers (src/app/commands/approve.ts). */
function answerBinds(code: string | undefined): string {
  const naming =
    code === undefined
      ? ""
      : ` \`/stamina approve ${code}\` (or a quote of this comment) names this change; an answer that names another is not applied.`;
  return `An answer counts for this request only: a comment written after this one.${naming}`;
}

const STOP = "To end it instead, comment `/stamina stop`: the work so far is pushed.";

/** Text only the comment of this pause holds: a resumed run that pauses again finds it, not posts twice. */
export function pauseNeedle(runId: string, request: PauseRequest): string {
  const step = request.details?.step;
  const fingerprint = request.details?.fingerprint;
  const what =
    request.source === "approval" && typeof fingerprint === "string"
      ? ` for approval \`${fingerprint.slice(0, 12)}\``
      : request.source === "budget"
        ? " for a budget extension"
        : "";
  return `<sub>Run \`${runId}\`, paused${typeof step === "number" ? ` after step ${step}` : ""}${what}</sub>`;
}

/** The comment a paused run leaves on its issue. */
export function pauseComment(request: PauseRequest, needle: string): string {
  const body =
    request.source === "ask_human"
      ? question(request)
      : request.source === "approval"
        ? approval(request)
        : request.source === "budget"
          ? extension(request)
          : watchdog(request);
  return [...body, "", needle].join("\n");
}

function watchdog(request: PauseRequest): string[] {
  return [
    "⏸️ Stamina paused this run: it looks stuck, and more of the same would only spend the budget.",
    "",
    `**What went wrong:** ${request.reason}`,
    "",
    `**How to answer:** reply to this issue with a comment (you need write access) that tells Stamina how to go on — a hint, a narrower goal, or what to leave alone. The run picks up where it stopped, with your reply. ${STOP}`,
  ];
}

function question(request: PauseRequest): string[] {
  const context = request.details?.context;
  const options = request.details?.options;
  return [
    "⏸️ Stamina paused this run to ask a question.",
    "",
    `**The question:** ${request.reason}`,
    ...(typeof context === "string" ? ["", `**Why it asks:** ${context}`] : []),
    ...(Array.isArray(options) && options.length > 0
      ? ["", "**The answers it sees:**", ...options.map((o) => `- ${String(o)}`)]
      : []),
    "",
    `**How to answer:** reply to this issue with a comment (you need write access): your reply is Stamina's answer, and the run picks up where it stopped. ${STOP}`,
  ];
}

function approval(request: PauseRequest): string[] {
  const asked = Array.isArray(request.details?.asked) ? request.details.asked.map(String) : [];
  const final = request.details?.final === true;
  const fingerprint = request.details?.fingerprint;
  const protectedPaths = request.details?.protectedPaths;
  const workflows =
    Array.isArray(protectedPaths) &&
    protectedPaths.some((p) => String(p).startsWith(".github/workflows/"));
  return [
    "🔐 Stamina needs a maintainer's approval before it pushes this change.",
    "",
    "**What is asked:** the change (against the commit the run started from)",
    ...asked.map((a) => `- ${a}`),
    "",
    "**What each answer does** (you need write access):",
    `- \`/stamina approve\`: this change is pushed as it is${final ? " and the pull request opens" : ", and the run goes on"}. A later change that asks something else asks again.`,
    `- \`/stamina deny\`: the change is rolled back to the last checkpoint (the last commit pushed to the branch)${final ? ", and the pull request opens with the work pushed so far" : "; the run goes on without it"}.`,
    "",
    answerBinds(typeof fingerprint === "string" ? fingerprint.slice(0, 12) : undefined),
    ...(workflows
      ? [
          "",
          "Note: GitHub lets an app push a change under `.github/workflows/` only when it has the `workflows` permission, which Stamina does not ask for. Unless the operator granted it, the push is refused even once approved, and Stamina will say so.",
        ]
      : []),
  ];
}

function extension(request: PauseRequest): string[] {
  const more = (request.details?.more ?? {}) as Record<string, unknown>;
  const share = typeof request.details?.share === "number" ? request.details.share : 0;
  const n = (v: unknown) => Math.round(Number(v) || 0).toLocaleString("en-US");
  return [
    "⏸️ Stamina ran out of budget before it finished, and asks to go on.",
    "",
    `**What ran out:** ${request.reason}`,
    "",
    "**What each answer does** (you need write access):",
    `- \`/stamina approve\`: ${Math.round(share * 100)}% of each budget more (\`budget_extension\`): ${n(more.steps)} more steps, ${n(more.tokens)} more tokens, $${(Number(more.dollars) || 0).toFixed(2)} more, ${n(more.minutes)} more minutes; the run goes on where it stopped.`,
    "- `/stamina deny`: the run ends as out of budget; the work so far is pushed and the pull request opens with it.",
    "",
    answerBinds(undefined),
  ];
}
