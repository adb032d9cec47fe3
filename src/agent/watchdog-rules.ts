// The watchdog's rules as pure functions of what the run did: each step's
// tool calls, the working diff and the plan go in, the signals that fired
// come out, and the rules' window is plain JSON the snapshot keeps. No I/O
// here, so every rule is tested on a scripted sequence of steps.
import { createHash } from "node:crypto";
import { canonicalJson } from "../audit/canonical-json.ts";
import { pointsTo, readsOf } from "../audit/health/index.ts";
import { isTestPath } from "./test-integrity.ts";

// The out-of-scope rule and the health signals' drift chart share what "points to" means.
export { pointsTo };

/** The watchdog's thresholds (`watchdog` in the repository config, see README). */
export interface WatchdogSettings {
  enabled: boolean;
  repeatedCalls: number;
  repeatWindow: number;
  failingCommand: number;
  outOfScopeFiles: number;
  errorWindow: number;
  errorShare: number;
  stallSteps: number;
  pauseWithin: number;
}

/** The defaults, as the README documents them. */
export const DEFAULT_WATCHDOG: WatchdogSettings = {
  enabled: true,
  repeatedCalls: 3,
  repeatWindow: 10,
  failingCommand: 3,
  outOfScopeFiles: 3,
  errorWindow: 10,
  errorShare: 0.5,
  stallSteps: 15,
  pauseWithin: 30,
};

export type WatchdogRule =
  "repeated_call" | "failing_command" | "out_of_scope" | "error_rate" | "stall";

export interface WatchdogSignal {
  step: number;
  rule: WatchdogRule;
  /** What happened, in a sentence that names the signal, for the model and for people. */
  message: string;
}

/** One tool call as the rules see it. */
export interface ObservedCall {
  /** The tool's name and its input, canonical, hashed: equal calls have equal keys. */
  key: string;
  /** For messages: the tool and a short form of its input. */
  label: string;
  /** A tool error, a command that exited non-zero, checks that failed. */
  failed: boolean;
  /** The command it ran (bash's command line; `run_checks`), null for other tools. */
  command: string | null;
  /** A search that found nothing: grep, rg or git grep exiting 1 with no output. */
  noMatch: boolean;
  /** It runs tests (a test runner, `npm test`, `run_checks`): a failure may be a test written first. */
  runsTests: boolean;
  /** What it read (src/audit/health/reads.ts, the health signals' notion), hashed; empty if none. */
  reads: string[];
}

/** The working diff after a step, when the step may have changed it. */
export interface ObservedDiff {
  hash: string;
  /** Each changed file with the text its added lines hold (what it may point to). */
  files: Array<{ path: string; added: string }>;
}

export interface Observation {
  step: number;
  calls: ObservedCall[];
  /** Null when the step changed nothing: the diff is as it was. */
  diff: ObservedDiff | null;
  plan: string;
  /** The issue's text: what the change is meant to touch. */
  scope: string;
}

export interface WatchdogState {
  /** Recent calls: those within the repeat window, and the last `errorWindow`. */
  calls: Array<{ step: number; key: string; label: string; failed: boolean }>;
  /** Commands failing now, each with how many times in a row (no pass of it in between). */
  failing: Array<{ command: string; count: number }>;
  diffHash: string | null;
  planHash: string;
  /** The last step that changed the diff or the plan. */
  progressStep: number;
  /** Changed files the issue, the plan or earlier files point to. */
  scoped: string[];
  /** Changed files nothing points to, still in the diff. */
  strays: string[];
  /** Evidence before this step no longer counts, per rule (reset by a nudge or a pause). */
  since: Partial<Record<WatchdogRule, number>>;
  /** Some diff of the run changed a file that is not a test: test-first work is over. */
  sourceChanged?: boolean;
  /** The diff as last seen changes test files and nothing else. */
  testsOnly?: boolean;
  /**
   * What the run has read, hashed, the latest last: reading something for the first time is
   * progress (exploring), reading it again is not. Absent in the state of a run from before.
   */
  read?: string[];
}

/** Things read kept for telling a first read from a reread; an older one read again counts as new. */
const KEEP_READS = 500;

/** Commands whose failures are counted at once; an older one's count is forgotten. */
const KEEP_COMMANDS = 20;

export function initialWatchdogState(): WatchdogState {
  return {
    calls: [],
    failing: [],
    diffHash: null,
    planHash: hash(""),
    progressStep: 0,
    scoped: [],
    strays: [],
    since: {},
    sourceChanged: false,
    testsOnly: false,
    read: [],
  };
}

export function hash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/** The diff of an untouched worktree: where every run starts. */
const EMPTY_DIFF = hash("");

/** A call as the rules see it: its key, a label, whether it failed, the command it ran. */
export function observeCall(call: {
  name: string;
  input: unknown;
  isError: boolean;
  details?: Record<string, unknown>;
}): ObservedCall {
  const input = call.input as Record<string, unknown> | null;
  const exit = call.details?.exitCode;
  const nonZero = typeof exit === "number" && exit !== 0;
  const checksFailed = call.details?.passed === false;
  const command =
    call.name === "bash" && typeof input?.command === "string"
      ? input.command.trim()
      : call.name === "run_checks"
        ? "run_checks"
        : null;
  const shown = canonicalJson(call.input ?? null);
  const silent = call.details?.totalBytes === 0;
  return {
    key: hash(`${call.name}\n${shown}`),
    label: `${call.name} ${shown.length > 120 ? `${shown.slice(0, 117)}...` : shown}`,
    failed: call.isError || nonZero || checksFailed,
    command,
    noMatch:
      call.name === "bash" && !call.isError && exit === 1 && silent && isSearch(command ?? ""),
    runsTests: call.name === "run_checks" || (call.name === "bash" && runsTests(command ?? "")),
    reads: readsOf({ ...call, exitCode: exit }).map(hash),
  };
}

/** The last command of a command line: after its last `&&`, `||`, `;` or newline. */
function lastCommand(line: string): string {
  const parts = line.split(/&&|\|\||;|\n/);
  return (parts.at(-1) ?? "").trim();
}

/** Commands whose exit code 1 means "no match", not an error. */
const SEARCH =
  /^(?:\S+=\S*\s+)*(?:command\s+)?(?:grep|egrep|fgrep|zgrep|rg|git(?:\s+-\S+)*\s+grep)\b/;

/**
 * The command line ends in a search (grep, egrep, fgrep, zgrep, rg, git grep): the last command
 * after `&&`, `||`, `;` is one, with no pipe after it, so its exit code is the line's.
 */
function isSearch(line: string): boolean {
  const last = lastCommand(line);
  return !last.includes("|") && SEARCH.test(last);
}

/** A test runner, or a project's test script. */
const TEST_RUNNER =
  /(^|[\s;&|(])(?:(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test\b|(?:npx\s+|bunx\s+)?(?:vitest|jest|mocha|ava|tap|jasmine|karma|playwright\s+test)\b|pytest\b|py\.test\b|python3?\s+-m\s+(?:pytest|unittest)\b|go\s+test\b|cargo\s+(?:test|nextest)\b|rspec\b|phpunit\b|mix\s+test\b|dotnet\s+test\b|ctest\b|tox\b|(?:\.\/)?gradlew?\s+(?:\S+\s+)*test\b|mvn\s+(?:\S+\s+)*test\b|make\s+(?:test|check)\b|deno\s+test\b|node\s+--test\b)/;

function runsTests(line: string): boolean {
  return TEST_RUNNER.test(line);
}

/** The files a `git diff` names, with the text of the lines it adds to each. */
export function diffFiles(diff: string): ObservedDiff["files"] {
  const files: ObservedDiff["files"] = [];
  for (const chunk of diff.split(/^diff --git /m).slice(1)) {
    const header = chunk.slice(0, chunk.indexOf("\n") === -1 ? undefined : chunk.indexOf("\n"));
    const path = / b\/(.+)$/.exec(header)?.[1];
    if (path === undefined) continue;
    const added = chunk
      .split("\n")
      .filter((l) => l.startsWith("+") && !l.startsWith("+++"))
      .map((l) => l.slice(1))
      .join("\n");
    files.push({ path, added });
  }
  return files;
}

/** Feeds one step to the rules: the state after it, and the signals that fired. */
export function observeStep(
  before: WatchdogState,
  seen: Observation,
  settings: WatchdogSettings,
): { state: WatchdogState; signals: WatchdogSignal[] } {
  const state: WatchdogState = structuredClone(before);
  const { step } = seen;
  const signals: WatchdogSignal[] = [];
  const fire = (rule: WatchdogRule, message: string) => signals.push({ step, rule, message });
  const since = (rule: WatchdogRule) => state.since[rule] ?? 0;

  // Calls repeat only against the same worktree: re-running tests after an edit is work, not a loop.
  const against = state.diffHash ?? EMPTY_DIFF;
  if (seen.diff !== null) {
    // A changed diff is new work: a command failing before it is not failing "again".
    if (seen.diff.hash !== against) state.failing = [];
    const files = seen.diff.files.map((f) => f.path);
    if (files.some((p) => !isTestPath(p))) state.sourceChanged = true;
    state.testsOnly = files.length > 0 && files.every(isTestPath);
  }
  // Tests written first, before any other file changed, are meant to fail.
  const testFirst = state.testsOnly === true && state.sourceChanged !== true;
  const calls = seen.calls.map((call) =>
    call.failed && (call.noMatch || (call.runsTests && testFirst))
      ? { ...call, failed: false }
      : call,
  );
  for (const call of calls) {
    state.calls.push({
      step,
      key: hash(`${call.key}\n${against}`),
      label: call.label,
      failed: call.failed,
    });
  }
  const inWindow = (c: { step: number }) => c.step > step - settings.repeatWindow;
  state.calls = state.calls.filter(
    (c, i) => inWindow(c) || i >= state.calls.length - settings.errorWindow,
  );

  const repeated = new Set<string>();
  for (const call of state.calls.filter((c) => c.step === step)) {
    if (repeated.has(call.key)) continue;
    repeated.add(call.key);
    const times = state.calls.filter(
      (c) => c.key === call.key && inWindow(c) && c.step > since("repeated_call"),
    ).length;
    if (times >= settings.repeatedCalls) {
      fire(
        "repeated_call",
        `the same tool call (${call.label}) was made ${times} times within ${settings.repeatWindow} steps, with nothing changed in between.`,
      );
      break;
    }
  }

  for (const call of calls) {
    if (call.command === null) continue;
    const streak = state.failing.find((f) => f.command === call.command);
    state.failing = state.failing.filter((f) => f !== streak);
    if (!call.failed) continue;
    const count = (streak?.count ?? 0) + 1;
    if (count >= settings.failingCommand) {
      fire(
        "failing_command",
        `the command \`${clipCommand(call.command)}\` failed ${count} times in a row.`,
      );
      // The next signal needs as many failures again.
      continue;
    }
    state.failing = [...state.failing, { command: call.command, count }].slice(-KEEP_COMMANDS);
  }

  if (seen.calls.length > 0) {
    const recent = state.calls
      .filter((c) => c.step > since("error_rate"))
      .slice(-settings.errorWindow);
    const failed = recent.filter((c) => c.failed).length;
    if (failed > settings.errorShare * settings.errorWindow) {
      fire(
        "error_rate",
        `${failed} of the last ${recent.length} tool calls failed (more than ${Math.round(settings.errorShare * 100)}% of ${settings.errorWindow}).`,
      );
    }
  }

  const planHash = hash(seen.plan);
  let moved = planHash !== state.planHash;
  state.planHash = planHash;
  if (seen.diff !== null) {
    if (seen.diff.hash !== (state.diffHash ?? EMPTY_DIFF)) moved = true;
    state.diffHash = seen.diff.hash;
    const strays = scopeFiles(state, seen);
    if (strays.length > 0 && state.strays.length > settings.outOfScopeFiles) {
      fire(
        "out_of_scope",
        `${state.strays.length} changed files are ones that neither the issue, the plan nor the files changed before point to (${state.strays.slice(0, 8).join(", ")}${state.strays.length > 8 ? ", …" : ""}).`,
      );
    }
  }
  if (firstReads(state, seen.calls)) moved = true;
  if (moved) state.progressStep = step;
  const still = step - Math.max(state.progressStep, since("stall"));
  if (still >= settings.stallSteps) {
    fire(
      "stall",
      `neither the change nor the plan has moved, and nothing was read for the first time, for ${still} steps.`,
    );
  }
  return { state, signals };
}

/** Adds what the calls read to the state's list; true when some of it was not read before. */
function firstReads(state: WatchdogState, calls: readonly ObservedCall[]): boolean {
  const read = new Set(state.read ?? []);
  let fresh = false;
  for (const key of calls.flatMap((c) => c.reads)) {
    if (read.has(key)) continue;
    read.add(key);
    fresh = true;
  }
  state.read = [...read].slice(-KEEP_READS);
  return fresh;
}

/**
 * Sorts the diff's new files into scoped (something points to them) and strays; returns the
 * strays this step added. Files a scoped file's added lines name are in scope too (an import).
 */
function scopeFiles(state: WatchdogState, seen: Observation): string[] {
  const files = seen.diff?.files ?? [];
  const wasStray = new Set(state.strays);
  // Strays are looked at again: the plan may name them now, and one that was undone is gone.
  let fresh = files.filter((f) => !state.scoped.includes(f.path));
  const scopedText = () =>
    [
      seen.scope,
      seen.plan,
      ...files.filter((f) => state.scoped.includes(f.path)).map((f) => f.added),
    ].join("\n");
  for (let changed = true; changed && fresh.length > 0;) {
    const text = scopedText();
    const pointed = fresh.filter((f) => pointsTo(text, f.path));
    changed = pointed.length > 0;
    state.scoped.push(...pointed.map((f) => f.path));
    fresh = fresh.filter((f) => !pointed.includes(f));
  }
  state.strays = fresh.map((f) => f.path);
  return state.strays.filter((p) => !wasStray.has(p));
}

function clipCommand(command: string): string {
  const line = command.replace(/\s+/g, " ");
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}
