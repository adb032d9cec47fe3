// `/stamina approve`: a writer answers the approval the issue's run waits on
// (a change held by policy, a budget run out): recorded with who and when, and
// the run queued again to push exactly that change, or go on with more budget.
// deny.ts answers the other way through the same path.
import { safetyEvent } from "../../audit/safety.ts";
import type { ApprovalRequest } from "../../store/approvals.ts";
import type { CommandContext, CommandHandler, CommandResult } from "./context.ts";

export const approve: CommandHandler = (command) => answerApproval(command, true);

/** Records the decision and queues the run; "nothing" when no run waits in awaiting_approval. */
export async function answerApproval(
  { deps, context, octokit, where, number, args, log }: CommandContext,
  granted: boolean,
): Promise<CommandResult> {
  const active = await deps.store.runs.activeOn(where.owner, where.repo, number);
  if (active?.state !== "awaiting_approval") {
    log.info({ state: active?.state ?? null }, "approval answer with no run awaiting approval");
    return "nothing";
  }
  const by = context.payload.sender.login;
  const pending = await deps.store.approvals.requested(active.id);
  const { comment } = context.payload;
  const unbound =
    pending && unboundAnswer(pending, { createdAt: comment.created_at, body: comment.body, args });
  if (unbound) {
    // An answer counts only for the request it answers: never a later one it was not written for.
    await deps.store.audit.append(active.id, [
      safetyEvent({
        control: "approval.binding",
        outcome: "blocked",
        detail: `@${by}'s /stamina ${granted ? "approve" : "deny"} was not applied: ${unbound}`,
        by,
        deliveryId: context.id,
        commentId: comment.id,
      }),
    ]);
    log.warn({ runId: active.id, by, why: unbound }, "an approval answer for another request");
    await octokit.rest.issues.createComment({
      ...where,
      issue_number: number,
      body: `@${by}, your \`/stamina ${granted ? "approve" : "deny"}\` was not applied: ${unbound}. To answer what the run waits on now, comment again.`,
    });
    return "nothing";
  }
  const decision = await deps.store.approvals.decide(active.id, {
    deliveryId: context.id,
    by,
    granted,
    // Decided only if the run still waits on the request this comment was checked against.
    ...(pending ? { requestSeq: pending.seq } : {}),
  });
  if (!decision) {
    log.info({ runId: active.id }, "the run stopped awaiting approval before the answer");
    return "nothing";
  }
  const { request } = decision;
  await deps.store.audit.append(active.id, [
    {
      type: granted ? "approval.granted" : "approval.denied",
      data: {
        by,
        source: request.source,
        reason: request.reason,
        ...(request.fingerprint ? { fingerprint: request.fingerprint } : {}),
        deliveryId: context.id,
      },
    },
  ]);
  log.info({ runId: active.id, by, granted }, "approval answered; the run is queued again");
  deps.onRunQueued?.(active);
  return "done";
}

/**
 * Why a comment cannot answer the approval the run waits on, or null when it does: it must be
 * written after Stamina asked (by GitHub's clock: a comment held back, or an answer to an earlier
 * request delivered late, answers nothing now), and when it names a change (`/stamina approve
 * 3f2a…`, or a quote of the request comment), it must name this one.
 */
function unboundAnswer(
  request: ApprovalRequest,
  comment: { createdAt: string; body: string; args: string },
): string | null {
  const written = Date.parse(comment.createdAt);
  const asked = Date.parse(request.askedAt);
  if (!Number.isFinite(written) || written < asked) {
    return `it was written at ${comment.createdAt}, before Stamina asked for the approval the run waits on (at ${request.askedAt}), so it answers an earlier request`;
  }
  const named = namedChanges(comment.body, comment.args);
  if (named.length === 0) return null;
  const fingerprint = request.fingerprint?.toLowerCase();
  if (fingerprint !== undefined && named.some((n) => fingerprint.startsWith(n))) return null;
  const waits =
    request.name === undefined ? "a budget extension" : `the change \`${request.name}\``;
  return `it names ${named.map((n) => `\`${n}\``).join(", ")}, and the run waits on ${waits}`;
}

/** The changes a comment names: a fingerprint after the command, or in a quoted request. */
function namedChanges(body: string, args: string): string[] {
  const named = new Set<string>();
  const first = args.split(/\s+/)[0] ?? "";
  if (/^[0-9a-f]{7,64}$/i.test(first)) named.add(first.toLowerCase());
  for (const line of body.split("\n")) {
    if (!line.trimStart().startsWith(">")) continue;
    for (const match of line.matchAll(/approval `([0-9a-f]{12})`/gi))
      named.add((match[1] ?? "").toLowerCase());
  }
  return [...named];
}
