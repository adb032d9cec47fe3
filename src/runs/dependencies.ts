// What a worker gives every run it executes: the store, GitHub, the sandbox,
// the model, where the run's files go, and the limits and clocks of this
// process. Tests pass their own (the fake GitHub, the scripted model).
import type { AuditSigner } from "../audit/signing.ts";
import type { ModelPort } from "../model/types.ts";
import type { Logger } from "../observability/logger.ts";
import type { Tracer } from "../observability/tracing.ts";
import type { Redactor } from "../observability/redact.ts";
import type { GitHubPort } from "../github/types.ts";
import type { Store } from "../store/store.ts";
import type { Timers } from "../surface/throttle.ts";
import type { Sandbox } from "../sandbox/sandbox.ts";
import type { RetrySchedule } from "./transient.ts";
import type { OperatorProblem } from "./operator-settings.ts";
import type { OperatorLimits } from "./spend-limits.ts";
import type { RunSpent } from "./run-end.ts";

export interface RunDependencies {
  store: Store;
  github: GitHubPort;
  sandbox: Sandbox;
  createModel: (modelId: string) => ModelPort;
  dataDir: string;
  /** The repository mirror cache's disk cap (STAMINA_WORKSPACE_MAX_GB); no eviction when unset. */
  workspaceMaxBytes?: number;
  commandTimeoutMs: number;
  maxTokens: number;
  /** The run's own logger: every line carries the run, its delivery, installation and repository. */
  log: Logger;
  /** The run, its steps and its tool calls as spans (the model's calls are the model port's); none: no spans. */
  tracer?: Tracer;
  /** Told what the run has spent so far: at a restored checkpoint and after each step. */
  onSpent?: (spent: RunSpent) => void;
  /** Retries of failures that are not the agent's fault; DEFAULT_RETRY when unset. */
  retry?: RetrySchedule;
  clock?: () => Date;
  /** Every text the run writes on GitHub passes through it; a fresh one when unset. */
  redactor?: Redactor;
  /** Signs the audit head each commit names (a `Stamina-Audit-Signature` trailer); unset: unsigned. */
  auditSigner?: AuditSigner;
  /** Progress edits on GitHub at most this often (DEFAULT_PROGRESS_INTERVAL_MS when unset). */
  progressIntervalMs?: number;
  timers?: Timers;
  /** The model's credential settings as an error names them (ANTHROPIC_API_KEY unless given). */
  modelCredentials?: string;
  /** The operator's limits on spend and models (STAMINA_MAX_DOLLARS_*, STAMINA_MODEL_ALLOW). */
  limits?: OperatorLimits;
  /** STAMINA_PUBLIC_URL: the run's texts on GitHub link to its page there; unset, no link. */
  publicUrl?: string;
  /** Told when a run is kept for the operators' settings: the worker stops claiming a while. */
  onOperatorProblem?: (problem: OperatorProblem, ms: number) => void;
}
