// One claimed run carried out by the executor of its kind: an issue's run and
// a review round go through the pipeline (pipeline/run-pipeline.ts: claim,
// workspace, setup, agent, finish, publish, settle); a `/stamina rollback`
// request is carried out by its own module (kinds/rollback.ts), and so is a
// re-run of the checks on a pull request's head (kinds/recheck.ts).
import type { Attributes } from "@opentelemetry/api";
import {
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_CONVERSATION_ID,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_STAMINA_INSTALLATION_ID,
  ATTR_STAMINA_ISSUE,
  ATTR_STAMINA_REPOSITORY,
  ATTR_STAMINA_RUN_ATTEMPT,
  ATTR_STAMINA_RUN_KIND,
  GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
} from "../observability/semconv.ts";
import { NO_TRACER, runContext, withSpan } from "../observability/tracing.ts";
import type { RunKind } from "../store/schema.ts";
import type { Run } from "../store/types.ts";
import type { RunDependencies } from "./dependencies.ts";
import { executeRecheck } from "./kinds/recheck.ts";
import { executeRollback } from "./kinds/rollback.ts";
import { runPipeline } from "./pipeline/run-pipeline.ts";
import { recordRunEnd, type RunSpent } from "./run-end.ts";

/**
 * Carries out a claimed run to the end of this attempt. `signal` stops it at once; `drain` asks it
 * to stop at the next safe point (after the current step's checkpoint) and hand the run back to
 * the queue.
 */
type Executor = (
  claimed: Run,
  deps: RunDependencies,
  signal: AbortSignal,
  drain?: AbortSignal,
) => Promise<Run>;

/** The run kinds and who carries each out. A new kind gets a row here, and its module in kinds/. */
const RUN_KINDS: Record<RunKind, Executor> = {
  issue: runPipeline,
  follow_up: runPipeline,
  rollback: (claimed, deps, signal) => executeRollback(claimed, deps, signal),
  recheck: executeRecheck,
};

/**
 * Runs (or resumes) a claimed run with the executor of its kind, in the run's span (every span
 * the run starts is inside it, with the run's id), and logs how the attempt ended.
 */
export function executeRun(
  claimed: Run,
  deps: RunDependencies,
  signal: AbortSignal,
  drain?: AbortSignal,
): Promise<Run> {
  let seen: RunSpent | undefined;
  const watched: RunDependencies = {
    ...deps,
    onSpent: (spent) => {
      seen = spent;
      deps.onSpent?.(spent);
    },
  };
  const options = { attributes: runAttributes(claimed), context: runContext(claimed.id) };
  const name = `${GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT} stamina`;
  return withSpan(deps.tracer ?? NO_TRACER, name, options, async (span) => {
    const ended = await RUN_KINDS[claimed.kind](claimed, watched, signal, drain);
    recordRunEnd(deps.log, span, ended, seen, (deps.clock ?? (() => new Date()))());
    return ended;
  });
}

/** The run's span as it starts: GenAI's agent invocation, with what identifies the run. */
function runAttributes(run: Run): Attributes {
  return {
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
    [ATTR_GEN_AI_AGENT_NAME]: "stamina",
    [ATTR_GEN_AI_CONVERSATION_ID]: run.id,
    [ATTR_STAMINA_RUN_KIND]: run.kind,
    [ATTR_STAMINA_RUN_ATTEMPT]: run.attempts,
    [ATTR_STAMINA_INSTALLATION_ID]: run.installationId,
    [ATTR_STAMINA_REPOSITORY]: `${run.owner}/${run.repo}`,
    [ATTR_STAMINA_ISSUE]: run.issueNumber,
  };
}
