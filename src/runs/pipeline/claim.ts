// The first stage of an attempt: the claim recorded, a stop asked for before it
// started honoured, the model chosen, a fork's pull request refused, and a
// review round's branch taken from its pull request.
import { ModelUnavailableError } from "../../model/errors.ts";
import type { ModelPort } from "../../model/types.ts";
import { STAMINA_VERSION } from "../../version.ts";
import type { RunDependencies } from "../dependencies.ts";
import { RunFailure } from "../failure.ts";
import { redactedModel } from "../redacted-model.ts";
import { modelRefused } from "../spend-limits.ts";
import { CancelRequested } from "../interruptions.ts";
import { beginFollowUp } from "../kinds/follow-up.ts";
import { refuseForkPullRequest } from "../kinds/fork-guard.ts";
import type { Attempt } from "./attempt.ts";

export async function claimStage(a: Attempt): Promise<ModelPort> {
  const run = a.run;
  await a.audit.record("run.claimed", {
    run: run.id,
    attempt: run.attempts,
    worker: a.workerId,
    version: STAMINA_VERSION,
  });
  // The operator's opt-out of the sandbox is on every text of the run, never only in a log.
  const { warning } = a.deps.sandbox;
  if (warning !== null)
    await a.notice("sandbox.unisolated", warning, { kind: a.deps.sandbox.kind });
  if (run.cancelRequestedBy !== null) {
    throw new CancelRequested(run.cancelRequestedBy, run.cancelReason ?? "asked to stop");
  }
  a.phase = "choosing the model";
  const refused = modelRefused(run.config.model, a.deps.limits);
  if (refused !== null) throw new RunFailure(`Stamina did not start: ${refused}.`);
  const model = redactedModel(modelFor(a.deps, run.config.model), a.redactor);
  await refuseForkPullRequest(run, a.github);
  a.run = await beginFollowUp(run, a.gh);
  return model;
}

function modelFor(deps: RunDependencies, id: string): ModelPort {
  try {
    return deps.createModel(id);
  } catch (error) {
    if (error instanceof ModelUnavailableError) throw new RunFailure(error.message);
    throw error;
  }
}
