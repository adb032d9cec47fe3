// The run's progress file, in the run's own folder (never committed): what the run is for,
// where it stands, what it changed. Written at each milestone (a checkpoint, a plan or phase
// change, a verification, a compaction), and read first by a resumed or compacted run: the
// context manager puts it into the view. Plain Markdown, so a person can read it too.
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { AgentSnapshot } from "../ports.ts";
import { planText } from "./compaction.ts";
import type { ContextState } from "./state.ts";
import { filesTouched, taskText, type Message } from "./transcript.ts";

interface ProgressFacts {
  task: string;
  step: number;
  state: Readonly<AgentSnapshot>;
  files: readonly string[];
  summary: string | null;
  compactions: number;
}

/** Longer than this and the file is cut: it goes into every compacted view. */
const MAX_CHARS = 12_000;

function renderProgress(facts: ProgressFacts): string {
  const { state } = facts;
  const verification = state.verification;
  const text = [
    "# Progress",
    `Updated after step ${facts.step}; phase: ${state.phase}; compactions so far: ${facts.compactions}.`,
    "## Task",
    facts.task.length > 2_000 ? `${facts.task.slice(0, 2_000)} …` : facts.task,
    "## Plan",
    planText(state.plan),
    "## Files touched",
    facts.files.length > 0 ? facts.files.map((f) => `- ${f}`).join("\n") : "- none yet",
    "## Last verification",
    verification
      ? `${verification.passed ? "passed" : "failed"}: ${verification.checks.map((c) => `${c.name} ${c.passed ? "ok" : "failed"}`).join(", ") || "no checks configured"}`
      : "not verified yet",
    ...(facts.summary ? ["## Latest summary", facts.summary] : []),
  ].join("\n");
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}\n… [cut]` : text;
}

/** The progress file as the run stands after `step`, from its transcript and state. */
export function progressText(
  transcript: readonly Message[],
  snapshot: Readonly<AgentSnapshot>,
  step: number,
  state: Pick<ContextState, "summary" | "compactions">,
): string {
  return renderProgress({
    task: taskText(transcript),
    step,
    state: snapshot,
    files: filesTouched(transcript),
    summary: state.summary,
    compactions: state.compactions,
  });
}

/** Written whole through a temporary file, so a reader never sees half of it. */
export async function writeProgress(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${text}\n`, "utf8");
  await rename(temporary, path);
}

/** The file's text, or null when there is none yet (a new run, another machine). */
export async function readProgress(path: string): Promise<string | null> {
  try {
    const text = await readFile(path, "utf8");
    return text.trim() === "" ? null : text.trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
}
