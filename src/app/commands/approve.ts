// `/stamina approve`: a writer answers the approval the run waits on
// (a change held by policy, a budget run out): recorded with who and when, and
// the run queued again to push exactly that change, or go on with more budget.
// deny.ts answers the other way through the same path.
import type { CommandContext, CommandHandler, CommandResult } from "./context.ts";

export const approve: CommandHandler = (command) => answerApproval(command, true);

/** Records the decision and queues the run; "nothing" when no run waits in awaiting_approval. */
export async function answerApproval(
  { deps, context, where, number, log }: CommandContext,
  granted: boolean,
): Promise<CommandResult> {
  const active = await deps.store.runs.activeOn(where.owner, where.repo, number);
  if (active?.state !== "awaiting_approval") {
    log.info({ state: active?.state ?? null }, "approval answer with no run awaiting approval");
    return "nothing";
  }
  const by = context.payload.sender.login;
  const decision = await deps.store.approvals.decide(active.id, {
    deliveryId: context.id,
    by,
    granted,
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
