// `stamina run`: the same agent on a local checkout, without GitHub. It works
// on a new branch of the checkout, prints what it does as it goes, commits at
// milestones and at the end, and writes the audit log as JSONL.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { renderPrompt, repositoryInstructions } from "../agent/prompts.ts";
import { systemPrompt } from "../agent/session.ts";
import { AuditFile } from "../audit/file-log.ts";
import { ModelUnavailableError } from "../model/errors.ts";
import { createModel } from "../model/factory.ts";
import { modelSecrets, providerOptions } from "../model-settings.ts";
import { createRedactor } from "../observability/redact.ts";
import { openStore } from "../store/open.ts";
import { CONFIG_PATH, ConfigError, parseRepoConfig, type RepoConfig } from "../policy/config.ts";
import {
  INSTRUCTION_FILES,
  joinInstructions,
  type InstructionFile,
} from "../policy/instructions.ts";
import { readSettings } from "../settings.ts";
import { STAMINA_VERSION } from "../version.ts";
import { createBranch, currentHead, GitError, runGit } from "../workspace/git.ts";
import { slugOf } from "../workspace/branch-slug.ts";
import { createSandbox } from "../workspace/sandbox.ts";
import { createReporter, type Out } from "./console.ts";
import { runLocalSession, SetupFailed } from "./local-session.ts";
import { localMemoryDatabase, localMemoryKey } from "./memory.ts";
import { printOutcome } from "./outcome.ts";

export const RUN_USAGE = `usage: stamina run --repo PATH (--task TEXT | --task-file FILE) [--audit-log FILE]

  Runs the agent on a local git checkout, on a new branch stamina/local-<task>:
  it reads .github/stamina.yml there (setup, build, test, lint, budget), needs a
  clean working tree, and the model provider's settings (ANTHROPIC_API_KEY, or
  those of STAMINA_MODEL_PROVIDER) in the environment or .env.
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

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  let request: { repo: string; task: string; auditLog: string | undefined };
  try {
    request = await readRequest(argv);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof TypeError)) throw error;
    io.err.write(`stamina run: ${error.message}\n\n${RUN_USAGE}`);
    return 2;
  }
  const settings = readSettings(io.env);
  const provider = providerOptions(settings.model, {
    apiKey: settings.anthropicApiKey,
    baseURL: settings.anthropicBaseUrl,
  });
  if ("missing" in provider) {
    io.err.write(
      `stamina run: set ${provider.missing.join(", ")} (in the environment or .env) first.\n`,
    );
    return 2;
  }
  let checkout: { top: string; config: RepoConfig };
  try {
    checkout = await openCheckout(request.repo);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err.write(`stamina run: ${error.message}\n`);
    return 2;
  }
  const { top, config } = checkout;
  let model;
  try {
    model = createModel({
      model: config.model,
      provider,
      modelIds: settings.model.modelIds,
      retry: { windowMs: settings.model.retryWindowMs },
    });
  } catch (error) {
    if (!(error instanceof ModelUnavailableError)) throw error;
    io.err.write(`stamina run: ${error.message}\n`);
    return 2;
  }

  const runId = `local-${new Date().toISOString().replace(/[-:]|\.\d+/g, "")}-${randomBytes(3).toString("hex")}`;
  const runDir = join(settings.dataDir, "local", runId);
  await mkdir(runDir, { recursive: true });
  const auditPath = resolve(request.auditLog ?? join(runDir, "audit.jsonl"));
  const reporter = createReporter(io.out);
  const audit = await AuditFile.create({
    path: auditPath,
    runId,
    redactor: createRedactor([
      ...(settings.anthropicApiKey === undefined ? [] : [settings.anthropicApiKey]),
      ...modelSecrets(settings.model),
    ]),
    onEvent: reporter.onEvent,
  });
  // The checkout's memory across local runs: SQLite beside them, never the app's database.
  const memoryStore = await openStore({
    sqlitePath: localMemoryDatabase(settings),
    redactor: createRedactor(),
  });
  try {
    const title = request.task.split("\n")[0]!.replace(/\s+/g, " ").trim().slice(0, 60);
    const branch = await freeBranchName(top, `stamina/local-${slugOf(title) || "task"}`);
    const baseSha = await currentHead(top);
    await createBranch(top, branch);
    await audit.record("run.start", {
      mode: "local",
      version: STAMINA_VERSION,
      repo: top,
      branch,
      base: baseSha,
    });
    io.out.write(`Stamina is working in ${top} on branch ${branch}.\nAudit log: ${auditPath}\n\n`);
    const sandbox = createSandbox({ kind: settings.sandbox });
    if (sandbox.kind !== "bubblewrap") {
      io.out.write("warning: bubblewrap is not available: commands run without a sandbox.\n");
    }
    const project = top.split("/").at(-1) ?? top;
    const result = await runLocalSession({
      worktree: top,
      runDir,
      baseSha,
      config,
      model,
      audit,
      auditHead: () => Promise.resolve(audit.head),
      sandbox,
      commandTimeoutMs: settings.commandTimeoutMs,
      maxTokens: settings.maxTokens,
      system: systemPrompt({
        project,
        workspace: top,
        checks: { build: config.build, test: config.test, lint: config.lint },
      }),
      task: renderPrompt("task-local", {
        project,
        task: request.task,
        instructions: repositoryInstructions(config.instructions),
      }),
      finalMessage: `${title}\n\nStamina's work on the task given to \`stamina run\`.`,
      signal: io.signal,
      progress: reporter.progress,
      memory: memoryStore.memory.port(localMemoryKey(top), runId),
      human: {
        pause: (request) => {
          io.out.write(
            `\nPaused by the ${request.source === "watchdog" ? "watchdog" : "agent"}: ${request.reason}\n`,
          );
          return Promise.resolve();
        },
      },
    });
    await audit.record("run.finished", { state: result.stop, outcome: result.message });
    await audit.close();
    return await printOutcome(io.out, {
      result,
      budget: config.budget,
      worktree: top,
      branch,
      baseSha,
      auditPath,
      auditHead: audit.head,
      auditCount: audit.count,
    });
  } catch (error) {
    // The model gave up for good, a setup command failed, git refused: said plainly, logged.
    const reason = error instanceof Error ? error.message : String(error);
    await audit.record("run.finished", { state: "failed", outcome: reason });
    await audit.close();
    io.err.write(
      error instanceof SetupFailed
        ? `stamina run: ${reason}\n`
        : `stamina run: the run stopped: ${reason}\nAny work since the last commit is left uncommitted in ${top}.\nAudit log: ${auditPath}\n`,
    );
    return 1;
  } finally {
    await memoryStore.close();
  }
}

async function readRequest(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      repo: { type: "string" },
      task: { type: "string" },
      "task-file": { type: "string" },
      "audit-log": { type: "string" },
    },
    strict: true,
  });
  if (values.repo === undefined) throw new UsageError("--repo PATH is required.");
  if ((values.task === undefined) === (values["task-file"] === undefined)) {
    throw new UsageError("give the task as --task TEXT or --task-file FILE (one of them).");
  }
  let task = values.task;
  if (values["task-file"] !== undefined) {
    task = await readFile(values["task-file"], "utf8").catch(() => {
      throw new UsageError(`cannot read the task file ${values["task-file"]}.`);
    });
  }
  task = (task ?? "").trim();
  if (task === "") throw new UsageError("the task is empty.");
  if (task.length > 100_000) throw new UsageError("the task is longer than 100,000 characters.");
  return { repo: resolve(values.repo), task, auditLog: values["audit-log"] };
}

/** The checkout's top folder and its config; a dirty tree or a bad config is refused. */
async function openCheckout(repo: string): Promise<{ top: string; config: RepoConfig }> {
  let top: string;
  try {
    top = (await runGit(["rev-parse", "--show-toplevel"], { cwd: repo })).stdout.trim();
    await currentHead(top);
  } catch (error) {
    if (!(error instanceof GitError) && (error as NodeJS.ErrnoException).code !== "ENOENT") {
      throw error;
    }
    throw new UsageError(`${repo} is not a git checkout with a commit to start from.`);
  }
  const { stdout: status } = await runGit(["status", "--porcelain"], { cwd: top });
  if (status.trim() !== "") {
    throw new UsageError(
      `${top} has uncommitted changes; commit or stash them first, so Stamina's branch holds only its own work.`,
    );
  }
  const configFile = join(top, CONFIG_PATH);
  let raw: unknown = null;
  if (existsSync(configFile)) {
    try {
      raw = parseYaml(await readFile(configFile, "utf8"));
    } catch (error) {
      throw new UsageError(`${CONFIG_PATH} is not valid YAML: ${(error as Error).message}`);
    }
  }
  let config: RepoConfig;
  try {
    config = parseRepoConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  const files = await committedInstructionFiles(top);
  return { top, config: { ...config, instructions: joinInstructions(config.instructions, files) } };
}

/** AGENTS.md, CLAUDE.md and Copilot's instructions as committed (the tree is clean: the same text). */
async function committedInstructionFiles(top: string): Promise<InstructionFile[]> {
  const files: InstructionFile[] = [];
  for (const path of INSTRUCTION_FILES) {
    const object = `HEAD:${path}`;
    try {
      const { stdout: type } = await runGit(["cat-file", "-t", object], { cwd: top });
      // A folder or a submodule of that name is not instructions.
      if (type.trim() !== "blob") continue;
    } catch (error) {
      if (error instanceof GitError) continue; // not in the commit
      throw error;
    }
    const { stdout: text } = await runGit(["cat-file", "blob", object], { cwd: top });
    files.push({ path, text });
  }
  return files;
}

/** `name`, or `name-2`, `name-3`… when the checkout has that branch already. */
async function freeBranchName(cwd: string, name: string): Promise<string> {
  for (let n = 1; n < 1_000; n++) {
    const candidate = n === 1 ? name : `${name}-${n}`;
    try {
      await runGit(["rev-parse", "--verify", "--quiet", `refs/heads/${candidate}`], { cwd });
    } catch (error) {
      if (error instanceof GitError && error.exitCode === 1) return candidate;
      throw error;
    }
  }
  throw new UsageError(`every branch name from ${name} to ${name}-999 is taken.`);
}
