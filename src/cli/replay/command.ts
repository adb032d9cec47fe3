// `stamina replay LOG`: runs a recorded session again, on a fresh clone of its
// repository at the recorded base commit, with the recorded model responses in
// place of the model, and reports where the tools, the checks or the outcome
// came out differently.
import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { scratchMemory } from "../../agent/memory.ts";
import type { AuditEvent } from "../../audit/types.ts";
import { AuditLogParseError, parseJsonl, verifyChain } from "../../audit/verify.ts";
import { createRedactor } from "../../observability/redact.ts";
import { readSettings, sandboxOptions, type Settings } from "../../settings.ts";
import { STAMINA_VERSION } from "../../version.ts";
import { GitError, runGit } from "../../workspace/git.ts";
import { createSandbox } from "../../sandbox/sandbox.ts";
import { createRunFolder, openLocalAudit, type LocalAudit, type RunFolder } from "../local-run.ts";
import { runLocalSession, SetupFailed } from "../local-session.ts";
import type { CliIo } from "../run.ts";
import { findDivergences, type Divergence } from "./divergence.ts";
import { recordedModel, ReplayExhausted } from "./model.ts";
import { readRecording, RecordingError, type Recording } from "./recording.ts";

export const REPLAY_USAGE = `usage: stamina replay LOG [--repo PATH] [--audit-log FILE]

  Re-runs the session recorded in the audit log LOG with the recorded model
  responses, on a fresh clone of PATH (default: the repository the log names)
  at the recorded base commit, and reports any divergence. Exit 0: it matches.
`;

const SHOWN = 5;

/** Why the replay did not get to a verdict, in one sentence, with its exit code. */
class ReplayRefused extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

interface ReplayArgs {
  log: string;
  repo?: string;
  auditLog?: string;
}

/** The recorded session, verified, and where it started. */
interface Source {
  log: string;
  events: AuditEvent[];
  recording: Recording;
  repo: string;
  branch: string;
  base: string;
}

/** The replay's own folder, clone and audit log. */
interface ReplayRun extends RunFolder, LocalAudit {
  worktree: string;
}

export async function replayCommand(argv: string[], io: CliIo): Promise<number> {
  let args: ReplayArgs;
  try {
    args = readArgs(argv);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    io.err.write(`stamina replay: ${error.message}\n\n${REPLAY_USAGE}`);
    return 2;
  }
  try {
    const source = await readSource(args);
    const settings = readSettings(io.env);
    const folder = await createRunFolder(join(settings.dataDir, "replays"), "replay");
    const worktree = await cloneAtBase(source, folder.runDir);
    const replayLog = await openLocalAudit({
      folder,
      auditLog: args.auditLog,
      redactor: createRedactor(),
      out: io.out,
    });
    const run: ReplayRun = { ...folder, worktree, ...replayLog };
    const turns = source.recording.responses.length;
    io.out.write(`Replaying ${args.log} (${turns} model turns) in ${worktree}.\n\n`);
    const ranPast = await replaySession(source, run, settings, io);
    const divergences = await divergencesOf(source, run, ranPast);
    io.out.write(report(divergences, turns, run.auditPath));
    return divergences.length === 0 ? 0 : 1;
  } catch (error) {
    if (!(error instanceof ReplayRefused)) throw error;
    io.err.write(`stamina replay: ${error.message}\n`);
    return error.exitCode;
  }
}

/** The command line; what is wrong with it is a TypeError, as parseArgs says it. */
function readArgs(argv: string[]): ReplayArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { repo: { type: "string" }, "audit-log": { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1) throw new TypeError("give exactly one audit log file.");
  return { log: positionals[0]!, repo: values.repo, auditLog: values["audit-log"] };
}

/** The log read, verified and made a recording, with the repository to clone. */
async function readSource(args: ReplayArgs): Promise<Source> {
  let events: AuditEvent[];
  try {
    events = parseJsonl(await readFile(args.log, "utf8"));
  } catch (error) {
    if (error instanceof AuditLogParseError) throw new ReplayRefused(error.message);
    throw new ReplayRefused(`cannot read ${args.log}.`);
  }
  const chain = verifyChain(events);
  if (!chain.ok) {
    throw new ReplayRefused(
      `${args.log} does not verify (${chain.reason}); a replay of it would prove nothing.`,
      1,
    );
  }
  let recording: Recording;
  try {
    recording = readRecording(events);
  } catch (error) {
    if (error instanceof RecordingError) throw new ReplayRefused(error.message);
    throw error;
  }
  const repo = args.repo ?? recording.origin?.repo;
  if (repo === undefined || repo === null || recording.origin === null) {
    throw new ReplayRefused(
      "the log does not name its repository and base commit; give --repo PATH to a clone that has it.",
    );
  }
  const { branch, base } = recording.origin;
  return { log: args.log, events, recording, repo, branch, base };
}

/** A fresh clone of the repository in the run's folder, on the recorded branch at the recorded base. */
async function cloneAtBase(source: Source, runDir: string): Promise<string> {
  const { repo, branch, base } = source;
  const worktree = join(runDir, "worktree");
  try {
    await runGit(
      ["clone", "--quiet", "--no-hardlinks", "--no-checkout", "--", resolve(repo), worktree],
      { cwd: runDir },
    );
    // -B: the clone may already have the branch (the repository's HEAD was on it).
    await runGit(["checkout", "--quiet", "-B", branch, base], { cwd: worktree });
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    throw new ReplayRefused(
      `cannot check out the recorded base commit ${base} from ${repo}: ${error.message}`,
    );
  }
  return worktree;
}

/**
 * The recorded session on the clone, the recorded model in place of the model. Running past the
 * recording is a divergence, returned; the audit log is closed however it ends.
 */
async function replaySession(
  source: Source,
  run: ReplayRun,
  settings: Settings,
  io: CliIo,
): Promise<ReplayExhausted | null> {
  const { recording } = source;
  const { audit } = run;
  const { model, clock } = recordedModel(recording);
  try {
    await audit.record("run.start", {
      mode: "replay",
      version: STAMINA_VERSION,
      repo: source.repo,
      branch: source.branch,
      base: source.base,
      of: source.log,
    });
    await runLocalSession({
      worktree: run.worktree,
      runDir: run.runDir,
      baseSha: source.base,
      config: recording.config,
      model,
      clock,
      audit,
      auditHead: () => Promise.resolve(audit.head),
      sandbox: createSandbox(sandboxOptions(settings)),
      commandTimeoutMs: settings.commandTimeoutMs,
      maxTokens: recording.maxTokens,
      system: recording.system,
      task: recording.task,
      // The memory as the session found it, held here: a replay writes to no store.
      ...(recording.memory ? { memory: scratchMemory(recording.memory), memoryInTask: false } : {}),
      finalMessage: "Stamina's replayed work",
      signal: io.signal,
      progress: run.reporter.progress,
    });
    return null;
  } catch (error) {
    if (error instanceof ReplayExhausted) return error;
    if (error instanceof SetupFailed) throw new ReplayRefused(error.message, 1);
    throw error;
  } finally {
    await audit.close();
  }
}

/** Where the replay's audit log parts from the recording's, running past its end included. */
async function divergencesOf(
  source: Source,
  run: ReplayRun,
  ranPast: ReplayExhausted | null,
): Promise<Divergence[]> {
  const replayed = parseJsonl(await readFile(run.auditPath, "utf8"));
  const divergences = findDivergences(source.events, replayed, {
    recorded: source.recording,
    replayed: { worktree: run.worktree, outputDir: join(run.runDir, "outputs") },
  });
  if (ranPast !== null) {
    divergences.push({
      step: ranPast.step,
      what: "the replay ran past the recording",
      recorded: "",
      replayed: ranPast.message,
    });
  }
  return divergences;
}

function report(divergences: Divergence[], turns: number, auditPath: string): string {
  if (divergences.length === 0) {
    return `\nThe replay matches the recording: ${turns} model turns, the same tool results, checks and outcome.\nReplay log: ${auditPath}\n`;
  }
  const lines = [
    "",
    `The replay diverged from the recording in ${divergences.length} place${divergences.length === 1 ? "" : "s"}:`,
  ];
  for (const d of divergences.slice(0, SHOWN)) {
    lines.push("", `- ${d.step !== null ? `step ${d.step}: ` : ""}${d.what}`);
    if (d.recorded !== "") lines.push(`    recorded: ${clipLine(d.recorded)}`);
    if (d.replayed !== "") lines.push(`    replayed: ${clipLine(d.replayed)}`);
  }
  if (divergences.length > SHOWN) lines.push("", `… and ${divergences.length - SHOWN} more.`);
  lines.push("", `Replay log: ${auditPath}`, "");
  return lines.join("\n");
}

function clipLine(text: string): string {
  return text.length <= 300 ? text : `${text.slice(0, 297)}…`;
}
