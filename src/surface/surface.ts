// What people see of a run on GitHub while it works and when it ends: the
// tracking comment (a live checklist, edited at most once per interval, the
// last state always written), the state labels, the "Stamina" check run, the
// draft pull request opened at the first push and finished at the end, and
// the audit log's check runs. The run executor talks to this, not to GitHub.
import { describeSpend, extendBudget } from "../agent/budget.ts";
import { describePhase } from "../agent/phase.ts";
import type {
  AgentSnapshot,
  AuditSink,
  ChecksReport,
  PlanItem,
  ProgressPort,
} from "../agent/ports.ts";
import type { Phase } from "../agent/phase.ts";
import type { Logger } from "../observability/logger.ts";
import { publishAuditLog } from "./audit-checks.ts";
import { liveCost } from "./cost.ts";
import type { CheckConclusion, GitHubPort, RepoRef } from "../github/types.ts";
import { trackingComment, type Stage } from "./report.ts";
import { stoppedBody, verificationText } from "./pull-body.ts";
import { createStaminaCheck, type CheckContent } from "./stamina-check.ts";
import { createStateLabels, type LabelState } from "./state-labels.ts";
import type { Store } from "../store/store.ts";
import { createThrottle, type Timers } from "./throttle.ts";
import { createTracker, type Say } from "./tracking.ts";
import type { Run } from "../store/types.ts";

/** Progress edits on GitHub at most this often, unless told otherwise. */
const DEFAULT_PROGRESS_INTERVAL_MS = 5_000;

type Working = Extract<Stage, { kind: "working" }>;

export interface Surface {
  /** The tracking comment, labels and check for a stage; "working" stages are throttled. */
  say: Say;
  progress: ProgressPort;
  /** After each agent step: steps, spend, plan, phase and the last verification. */
  step(step: number, state: AgentSnapshot): Promise<void>;
  /** After a push: the draft pull request the first time, and the check on the new head. */
  pushed(target: {
    sha: string;
    /** The run's head before this push, if it had pushed before. */
    before: string | null;
    branch: string;
    base: string;
  }): Promise<void>;
  /** The harness's final verification, for the check's conclusion and summary. */
  verified(report: ChecksReport | null): void;
  /** Attaches the whole audit log (after the run's last event). Never throws: it is logged. */
  publishAudit(): Promise<void>;
  /** Drops a pending progress write. */
  close(): void;
}

interface SurfaceDeps {
  store: Store;
  github: GitHubPort;
  audit: AuditSink;
  runId: string;
  ref: RepoRef;
  issueNumber: number;
  log: Logger;
  intervalMs?: number;
  timers?: Timers;
  /** Warnings on every text of the run (pull-request.ts `notices`). */
  notices?: readonly string[];
  /** The run page's address (run-link.ts), when STAMINA_PUBLIC_URL is set. */
  runPage?: string | null;
  /** Opens the draft pull request at the first push (pull-request.ts). */
  openDraft: (target: { branch: string; base: string }) => Promise<{ url: string }>;
}

export function createSurface(deps: SurfaceDeps): Surface {
  const { store, runId } = deps;
  const spend = liveCost(store);
  const cost = spend.lines;
  const comment = createTracker({ ...deps, cost });
  const labels = createStateLabels(deps);
  const check = createStaminaCheck(deps);
  const live: Omit<Working, "kind"> = {};
  let final: ChecksReport | null = null;

  const working = (): Working => ({ kind: "working", ...live });
  const workingContent = async (run: Run, stage: Working): Promise<CheckContent> => ({
    title: `Working${stage.phase ? `: ${describePhase(stage.phase)}` : ""} (${stage.steps ?? run.stepsUsed} of ${run.config.budget.steps} steps)`,
    summary: trackingComment(run, stage, deps.notices, await cost(run), deps.runPage ?? null),
  });
  const writeWorking = async (stage: Working) => {
    const run = await comment(stage);
    await labels("working");
    await check.update(await workingContent(run, stage));
  };
  const throttle = createThrottle<Working>({
    intervalMs: deps.intervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS,
    write: writeWorking,
    onError: (err) => deps.log.warn({ err }, "could not show the run's progress on GitHub"),
    ...(deps.timers ? { timers: deps.timers } : {}),
  });

  const outcome = async (stage: Exclude<Stage, Working>): Promise<Run> => {
    throttle.cancel();
    await throttle.flush(); // a write under way ends first, so it cannot land after this one
    const run = await comment(stage);
    // The final verification, else the last one the run got to.
    const verification = final ?? live.verification ?? null;
    const [state, conclusion, title] = ending(stage, verification);
    await labels(state);
    const summary = [
      trackingComment(run, stage, deps.notices, await cost(run), deps.runPage ?? null),
      ...(verification ? ["", "## Verification", "", verificationText(verification)] : []),
    ].join("\n");
    if (conclusion === null) await check.update({ title, summary });
    else await check.complete(conclusion, { title, summary });
    await describeStop(run, stage);
    return run;
  };

  /** The early draft of a run that ends without finishing says so, not that it is still working. */
  const describeStop = async (run: Run, stage: Exclude<Stage, Working>) => {
    if (run.pullNumber === null) return;
    if (stage.kind !== "failed" && stage.kind !== "stopped") return;
    const why =
      stage.kind === "failed"
        ? `❌ Stamina stopped without finishing: ${stage.reason}`
        : `🛑 Stamina was stopped: ${stage.by} ${stage.reason}.`;
    await deps.github.updatePullRequest(deps.ref, run.pullNumber, {
      body: stoppedBody(run, why, deps.notices, deps.runPage ?? null),
    });
    await deps.audit.record("github.write", { op: "pull.update", number: run.pullNumber });
  };

  const say: Say = async (stage) => {
    if (stage.kind !== "working") return outcome(stage);
    Object.assign(live, definedOf(stage));
    await throttle.push(working());
    return store.runs.mustGet(runId);
  };

  return {
    say,
    progress: {
      plan: async (plan: PlanItem[]) => void (await say({ kind: "working", plan })),
      phase: async (phase: Phase) => void (await say({ kind: "working", phase })),
    },
    async step(step, state) {
      spend.stepped(state);
      const run = await store.runs.mustGet(runId);
      await say({
        kind: "working",
        steps: step,
        plan: state.plan,
        phase: state.phase,
        verification: state.verification,
        spend: describeSpend(
          extendBudget(run.config.budget, state.budgetGranted ?? 0),
          step,
          state.spent,
        ),
      });
    },
    async pushed({ sha, before, branch, base }) {
      const { url } = await deps.openDraft({ branch, base });
      live.pullUrl = url;
      const run = await store.runs.mustGet(runId);
      await check.moveTo(sha, await workingContent(run, working()), before);
      await throttle.push(working());
    },
    verified(report) {
      final = report;
    },
    async publishAudit() {
      try {
        const parts = await publishAuditLog({ store, github: deps.github, runId });
        deps.log.info({ parts }, "audit log attached as check runs");
      } catch (err) {
        deps.log.warn({ err }, "could not attach the audit log as check runs");
      }
    },
    close: () => throttle.cancel(),
  };
}

/** The label, the check's conclusion (null: still going) and title of an outcome. */
function ending(
  stage: Exclude<Stage, Working>,
  verification: ChecksReport | null,
): [LabelState | null, CheckConclusion | null, string] {
  switch (stage.kind) {
    case "opened":
      if (stage.verified) return ["done", "success", "Ready for review: verification passed"];
      // A draft of finished work with nothing to verify is done; one that ran out or failed is not.
      return [
        verification?.configured === false ? "done" : "failed",
        verification?.configured && !verification.passed ? "failure" : "neutral",
        `Draft: ${stage.draftBecause ?? "verification did not pass"}`,
      ];
    case "planned":
      return ["done", "neutral", "Dry run: the plan and the diff are on the issue"];
    case "no_change":
      return ["done", "neutral", "No change needed"];
    case "failed":
      return ["failed", "failure", "Stopped without finishing"];
    case "stopped":
      return [null, "cancelled", `Stopped by ${stage.by}`];
    case "retrying":
      return ["waiting", null, `Waiting to retry (${stage.retry} of ${stage.limit})`];
    case "held":
      return ["waiting", null, "Waiting for the operators' settings"];
    case "waiting":
      return ["waiting", null, "Waiting for an answer"];
    case "queued":
      return ["waiting", null, "Queued"];
    case "requeued":
      return ["waiting", null, "Queued to resume after a restart"];
  }
}

function definedOf<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([k, v]) => k !== "kind" && v !== undefined),
  ) as Partial<T>;
}
