// `stamina run`: the same agent on a local checkout, without GitHub. It works
// on a new branch of the checkout, prints what it does as it goes, commits at
// milestones and at the end, and writes the audit log as JSONL.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  renderPrompt,
  repositoryInstructions,
  untrusted,
  type RenderedPrompt,
} from "../agent/prompts.ts";
import { systemPrompt } from "../agent/session.ts";
import { ModelUnavailableError } from "../model/errors.ts";
import { createModel } from "../model/factory.ts";
import { classifyError } from "../model/retry-classify.ts";
import type { ModelPort } from "../model/types.ts";
import { modelSecrets, providerOptions } from "../model-settings.ts";
import { createRedactor } from "../observability/redact.ts";
import { openStore } from "../store/open.ts";
import type { Store } from "../store/store.ts";
import type { RepoConfig } from "../policy/config.ts";
import { readSettings, sandboxOptions, type Settings } from "../settings.ts";
import { STAMINA_VERSION } from "../version.ts";
import { createSandbox, SandboxUnavailable, type Sandbox } from "../sandbox/sandbox.ts";
import {
  CheckoutRefused,
  openCheckout,
  settleBranch,
  startBranch,
  type StartedBranch,
} from "./checkout.ts";
import type { Out } from "./console.ts";
import { createRunFolder, openLocalAudit, type LocalAudit, type RunFolder } from "./local-run.ts";
import { runLocalSession, SetupFailed } from "./local-session.ts";
import { localMemoryDatabase, localMemoryKey } from "./memory.ts";
import { printOutcome, terminalPause } from "./outcome.ts";
import { applyOverrides, FlagRefused, readOverrides, servedModelsText } from "./run-overrides.ts";

export const RUN_USAGE = `usage: stamina run --repo PATH (--task TEXT | --task-file FILE) [--model ID]
                   [--budget-steps N] [--budget-dollars AMOUNT] [--audit-log FILE]

  Runs the agent on a local git checkout, on a new branch stamina/local-<task>:
  it reads .github/stamina.yml there (setup, build, test, lint, budget), needs a
  clean working tree, and the model provider's settings (ANTHROPIC_API_KEY, or
  those of STAMINA_MODEL_PROVIDER) in the environment, the file STAMINA_ENV_FILE
  names, or Stamina's own .env (never the checkout's). A run that commits nothing
  (it failed early, or Ctrl-C) puts the checkout back where it was and deletes
  its branch; otherwise the work stays on the branch and \`git switch -\` returns.

  --model ID               the model for this run instead of the config's \`model\`:
                           ${servedModelsText(" ".repeat(27))}
  --budget-steps N         stop after N model turns (instead of budget.steps)
  --budget-dollars AMOUNT  stop at this spend in US dollars (instead of budget.dollars)
  --audit-log FILE         write the audit log there (default: the run's own folder)
`;

export interface CliIo {
  out: Out;
  err: Out;
  env: NodeJS.ProcessEnv;
  /** Aborted on Ctrl-C: the run stops and says so. */
  signal: AbortSignal;
}

/** A problem with what the user asked for, said in one sentence; exit code 2. */
class UsageError extends Error {}

/** A problem with the command line itself: said with the usage after it. */
class CommandLineError extends UsageError {}

/** What a run starts from once its command line, settings, checkout and model are accepted. */
interface RunSetup {
  task: string;
  auditLog: string | undefined;
  settings: Settings;
  /** The checkout's top folder. */
  top: string;
  config: RepoConfig;
  model: ModelPort;
  sandbox: Sandbox;
}

/** What the run made of its own before touching the checkout. */
interface LocalRun extends RunFolder, LocalAudit {
  memoryStore: Store;
}

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  let setup: RunSetup;
  try {
    setup = await setUpRun(argv, io.env);
  } catch (error) {
    const refused =
      error instanceof UsageError ||
      error instanceof CheckoutRefused ||
      error instanceof FlagRefused;
    if (!refused) throw error;
    const usage = error instanceof CommandLineError ? `\n${RUN_USAGE}` : "";
    io.err.write(`stamina run: ${error.message}\n${usage}`);
    return 2;
  }
  const { settings } = setup;
  const folder = await createRunFolder(join(settings.dataDir, "local"), "local");
  const log = await openLocalAudit({
    folder,
    auditLog: setup.auditLog,
    redactor: createRedactor([
      ...(settings.anthropicApiKey === undefined ? [] : [settings.anthropicApiKey]),
      ...modelSecrets(settings.model),
    ]),
    out: io.out,
  });
  // The checkout's memory across local runs: SQLite beside them, never the app's database.
  const memoryStore = await openStore({
    sqlitePath: localMemoryDatabase(settings),
    redactor: createRedactor(),
  });
  const run: LocalRun = { ...folder, ...log, memoryStore };
  try {
    return await workAndSettle(setup, run, io);
  } finally {
    await memoryStore.close();
  }
}

/**
 * The run on its new branch, then the branch settled (checkout.ts: a branch the run committed
 * nothing on is deleted, the checkout back where it was), and a line that says so.
 */
async function workAndSettle(setup: RunSetup, run: LocalRun, io: CliIo): Promise<number> {
  const { top, sandbox } = setup;
  if (sandbox.warning !== null) io.out.write(`warning: ${sandbox.warning}\n`);
  let started: StartedBranch | undefined;
  let code: number | undefined;
  let failure: unknown;
  try {
    started = await startBranch(top, setup.task);
    code = await workOnBranch(setup, started, run, io);
  } catch (error) {
    failure = error;
  }
  const where =
    started === undefined ? `The checkout ${top} is as it was.` : await settleBranch(top, started);
  if (code === undefined) return await reportStopped(failure, run, io.err, where);
  io.out.write(`${where}\n`);
  return code;
}

/** Everything refused before the run makes anything: a UsageError, or the checkout refused. */
async function setUpRun(argv: string[], env: NodeJS.ProcessEnv): Promise<RunSetup> {
  const { repo, task, auditLog, flags } = await readRequest(argv);
  const settings = readSettings(env);
  const overrides = readOverrides(flags, settings.model);
  const provider = providerOptions(settings.model, {
    apiKey: settings.anthropicApiKey,
    baseURL: settings.anthropicBaseUrl,
  });
  if ("missing" in provider) {
    throw new UsageError(
      `set ${provider.missing.join(", ")} (in the environment, the file STAMINA_ENV_FILE names, or Stamina's own .env, never the checkout's) first.`,
    );
  }
  let sandbox: Sandbox;
  try {
    sandbox = createSandbox(sandboxOptions(settings));
  } catch (error) {
    if (error instanceof SandboxUnavailable) throw new UsageError(error.message);
    throw error;
  }
  const checkout = await openCheckout(repo);
  const { top } = checkout;
  const config = applyOverrides(checkout.config, overrides);
  let model: ModelPort;
  try {
    model = createModel({
      model: config.model,
      provider,
      modelIds: settings.model.modelIds,
      retry: { windowMs: settings.model.retryWindowMs },
    });
  } catch (error) {
    if (error instanceof ModelUnavailableError) throw new UsageError(error.message);
    throw error;
  }
  return { task, auditLog, settings, top, config, model, sandbox };
}

/** From `run.start` on the run's new branch to the outcome printed; an error is left to the caller. */
async function workOnBranch(
  setup: RunSetup,
  started: StartedBranch,
  run: LocalRun,
  io: CliIo,
): Promise<number> {
  const { top, config, settings, sandbox } = setup;
  const { audit } = run;
  const { title, branch, baseSha } = started;
  await audit.record("run.start", {
    mode: "local",
    version: STAMINA_VERSION,
    repo: top,
    branch,
    base: baseSha,
  });
  io.out.write(
    `Stamina is working in ${top} on branch ${branch}.\nAudit log: ${run.auditPath}\n\n`,
  );
  const result = await runLocalSession({
    worktree: top,
    runDir: run.runDir,
    baseSha,
    config,
    model: setup.model,
    audit,
    auditHead: () => Promise.resolve(audit.head),
    sandbox,
    commandTimeoutMs: settings.commandTimeoutMs,
    maxTokens: settings.maxTokens,
    ...sessionPrompts(setup, baseSha),
    finalMessage: `${title}\n\nStamina's work on the task given to \`stamina run\`.`,
    signal: io.signal,
    progress: run.reporter.progress,
    memory: run.memoryStore.memory.port(localMemoryKey(top), run.runId),
    human: terminalPause,
  });
  await audit.record("run.finished", { state: result.stop, outcome: result.message });
  await audit.close();
  return await printOutcome(io.out, {
    result,
    budget: config.budget,
    worktree: top,
    branch,
    baseSha,
    auditPath: run.auditPath,
    auditHead: audit.head,
    auditCount: audit.count,
  });
}

/** The prompts a GitHub run has, with the checkout's folder name for the project. */
function sessionPrompts(
  setup: RunSetup,
  baseSha: string,
): { system: RenderedPrompt; task: RenderedPrompt } {
  const { top, config } = setup;
  const project = top.split("/").at(-1) ?? top;
  return {
    system: systemPrompt({
      project,
      workspace: top,
      base: baseSha,
      checks: { build: config.build, test: config.test, lint: config.lint },
      network: config.network.agent,
    }),
    task: renderPrompt("task-local", {
      project,
      task: untrusted(setup.task),
      instructions: repositoryInstructions(config.instructions),
    }),
  };
}

/**
 * The model gave up for good, a setup command failed, git refused: said plainly, logged, with
 * `checkout`, the line that says where the checkout was left.
 */
async function reportStopped(
  error: unknown,
  run: LocalRun,
  err: Out,
  checkout: string,
): Promise<number> {
  const reason = reasonOf(error);
  await run.audit.record("run.finished", { state: "failed", outcome: reason });
  await run.audit.close();
  err.write(
    error instanceof SetupFailed
      ? `stamina run: ${reason}\n${checkout}\n`
      : `stamina run: the run stopped: ${reason}\n${checkout}\nAudit log: ${run.auditPath}\n`,
  );
  return 1;
}

/** Why the run stopped; a key the model provider refused names the settings to check. */
function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (classifyError(error, Date.now()).status !== 401) return message;
  return `the model provider did not accept the credentials; check ANTHROPIC_API_KEY (or the settings of STAMINA_MODEL_PROVIDER). It answered: ${message}`;
}

/** The command line, and the task it names; each refusal is a CommandLineError. */
async function readRequest(argv: string[]) {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        repo: { type: "string" },
        task: { type: "string" },
        "task-file": { type: "string" },
        "audit-log": { type: "string" },
        model: { type: "string" },
        "budget-steps": { type: "string" },
        "budget-dollars": { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    // parseArgs says what is wrong with the command line as a TypeError.
    if (error instanceof TypeError) throw new CommandLineError(error.message);
    throw error;
  }
  if (values.repo === undefined) throw new CommandLineError("--repo PATH is required.");
  if ((values.task === undefined) === (values["task-file"] === undefined)) {
    throw new CommandLineError("give the task as --task TEXT or --task-file FILE (one of them).");
  }
  let task = values.task;
  if (values["task-file"] !== undefined) {
    task = await readFile(values["task-file"], "utf8").catch(() => {
      throw new CommandLineError(`cannot read the task file ${values["task-file"]}.`);
    });
  }
  task = (task ?? "").trim();
  if (task === "") throw new CommandLineError("the task is empty.");
  if (task.length > 100_000) {
    throw new CommandLineError("the task is longer than 100,000 characters.");
  }
  const { model, "budget-steps": steps, "budget-dollars": dollars } = values;
  return {
    repo: resolve(values.repo),
    task,
    auditLog: values["audit-log"],
    flags: { model, "budget-steps": steps, "budget-dollars": dollars },
  };
}
