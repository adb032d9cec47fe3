// `stamina replay LOG`: runs a recorded session again, on a fresh clone of its
// repository at the recorded base commit, with the recorded model responses in
// place of the model, and reports where the tools, the checks or the outcome
// came out differently.
import { randomBytes } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { AuditFile } from "../../audit/file-log.ts";
import { AuditLogParseError, parseJsonl, verifyChain } from "../../audit/verify.ts";
import { createRedactor } from "../../observability/redact.ts";
import { readSettings } from "../../settings.ts";
import { STAMINA_VERSION } from "../../version.ts";
import { GitError, runGit } from "../../workspace/git.ts";
import { createSandbox } from "../../workspace/sandbox.ts";
import { createReporter } from "../console.ts";
import { scratchMemory } from "../../agent/memory.ts";
import { runLocalSession, SetupFailed } from "../local-session.ts";
import type { CliIo } from "../run.ts";
import { findDivergences, type Divergence } from "./divergence.ts";
import { recordedModel, ReplayExhausted } from "./model.ts";
import { readRecording, RecordingError } from "./recording.ts";

export const REPLAY_USAGE = `usage: stamina replay LOG [--repo PATH] [--audit-log FILE]

  Re-runs the session recorded in the audit log LOG with the recorded model
  responses, on a fresh clone of PATH (default: the repository the log names)
  at the recorded base commit, and reports any divergence. Exit 0: it matches.
`;

const SHOWN = 5;

export async function replayCommand(argv: string[], io: CliIo): Promise<number> {
  let args: { log: string; repo?: string; auditLog?: string };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { repo: { type: "string" }, "audit-log": { type: "string" } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new TypeError("give exactly one audit log file.");
    args = { log: positionals[0]!, repo: values.repo, auditLog: values["audit-log"] };
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    io.err.write(`stamina replay: ${error.message}\n\n${REPLAY_USAGE}`);
    return 2;
  }
  const fail = (message: string, code = 2) => {
    io.err.write(`stamina replay: ${message}\n`);
    return code;
  };

  let events;
  try {
    events = parseJsonl(await readFile(args.log, "utf8"));
  } catch (error) {
    if (error instanceof AuditLogParseError) return fail(error.message);
    return fail(`cannot read ${args.log}.`);
  }
  const chain = verifyChain(events);
  if (!chain.ok)
    return fail(
      `${args.log} does not verify (${chain.reason}); a replay of it would prove nothing.`,
      1,
    );
  let recording;
  try {
    recording = readRecording(events);
  } catch (error) {
    if (error instanceof RecordingError) return fail(error.message);
    throw error;
  }
  const repo = args.repo ?? recording.origin?.repo;
  if (repo === undefined || repo === null || recording.origin === null) {
    return fail(
      "the log does not name its repository and base commit; give --repo PATH to a clone that has it.",
    );
  }
  const { branch, base } = recording.origin;

  const settings = readSettings(io.env);
  const runId = `replay-${new Date().toISOString().replace(/[-:]|\.\d+/g, "")}-${randomBytes(3).toString("hex")}`;
  const runDir = join(settings.dataDir, "replays", runId);
  const worktree = join(runDir, "worktree");
  await mkdir(runDir, { recursive: true });
  try {
    await runGit(
      ["clone", "--quiet", "--no-hardlinks", "--no-checkout", "--", resolve(repo), worktree],
      {
        cwd: runDir,
      },
    );
    // -B: the clone may already have the branch (the repository's HEAD was on it).
    await runGit(["checkout", "--quiet", "-B", branch, base], { cwd: worktree });
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    return fail(`cannot check out the recorded base commit ${base} from ${repo}: ${error.message}`);
  }

  const auditPath = resolve(args.auditLog ?? join(runDir, "audit.jsonl"));
  const reporter = createReporter(io.out);
  const audit = await AuditFile.create({
    path: auditPath,
    runId,
    redactor: createRedactor(),
    onEvent: reporter.onEvent,
  });
  io.out.write(
    `Replaying ${args.log} (${recording.responses.length} model turns) in ${worktree}.\n\n`,
  );
  const { model, clock } = recordedModel(recording);
  let ranPast: ReplayExhausted | null = null;
  try {
    await audit.record("run.start", {
      mode: "replay",
      version: STAMINA_VERSION,
      repo,
      branch,
      base,
      of: args.log,
    });
    await runLocalSession({
      worktree,
      runDir,
      baseSha: base,
      config: recording.config,
      model,
      clock,
      audit,
      auditHead: () => Promise.resolve(audit.head),
      sandbox: createSandbox({ kind: settings.sandbox }),
      commandTimeoutMs: settings.commandTimeoutMs,
      maxTokens: recording.maxTokens,
      system: recording.system,
      task: recording.task,
      // The memory as the session found it, held here: a replay writes to no store.
      ...(recording.memory ? { memory: scratchMemory(recording.memory), memoryInTask: false } : {}),
      finalMessage: "Stamina's replayed work",
      signal: io.signal,
      progress: reporter.progress,
    });
  } catch (error) {
    if (error instanceof ReplayExhausted) ranPast = error;
    else if (error instanceof SetupFailed) return fail(error.message, 1);
    else throw error;
  } finally {
    await audit.close();
  }

  const replayed = parseJsonl(await readFile(auditPath, "utf8"));
  const divergences = findDivergences(events, replayed, {
    recorded: recording,
    replayed: { worktree, outputDir: join(runDir, "outputs") },
  });
  if (ranPast !== null) {
    divergences.push({
      step: ranPast.step,
      what: "the replay ran past the recording",
      recorded: "",
      replayed: ranPast.message,
    });
  }
  io.out.write(report(divergences, recording.responses.length, auditPath));
  return divergences.length === 0 ? 0 : 1;
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
