// What a recorded run's audit log holds for a replay: where it started (the
// repository, branch and base commit), the session as it was set up (model,
// budget, prompts as sent, config), and every model response in order. The
// log is a file from anywhere, so each part is checked where it is read.
import type Anthropic from "@anthropic-ai/sdk";
import { z } from "zod";
import type { Budget } from "../../agent/budget.ts";
import type { MemoryFile } from "../../agent/ports.ts";
import type { AuditEvent } from "../../audit/types.ts";
import { ConfigError, parseRepoConfig, type RepoConfig } from "../../policy/config.ts";

export class RecordingError extends Error {
  override name = "RecordingError";
}

export interface Recording {
  /** From `stamina run` (run.start) or a GitHub run (git.branch); null when neither is there. */
  origin: { repo: string | null; branch: string; base: string } | null;
  model: string;
  budget: Budget;
  maxTokens: number;
  system: { text: string; templateHash: string };
  task: { text: string; templateHash: string };
  config: RepoConfig;
  worktree: string;
  outputDir: string;
  responses: Anthropic.Message[];
  /** The repository's memory when the session started, when it had the memory tool. */
  memory: MemoryFile[] | null;
  /** Wall time the loop had used when it asked for each response, then when it stopped. */
  elapsed: number[];
}

const agentStart = z.object({
  model: z.string(),
  budget: z.object({
    steps: z.number(),
    tokens: z.number(),
    dollars: z.number(),
    minutes: z.number(),
  }),
  maxTokens: z.number().int().positive(),
  prompts: z.object({ system: z.string(), task: z.string() }),
  system: z.string(),
  task: z.string(),
  config: z.unknown(),
  worktree: z.string(),
  outputDir: z.string(),
  memory: z.array(z.object({ path: z.string(), content: z.string() })).optional(),
});

const modelResponse = z.object({
  id: z.string(),
  stopReason: z.string().nullable(),
  usage: z.record(z.string(), z.unknown()),
  content: z.array(z.object({ type: z.string() }).loose()),
});

const origin = z.object({ repo: z.string().optional(), branch: z.string(), base: z.string() });

export function readRecording(events: readonly AuditEvent[]): Recording {
  const startEvent = events.find((e) => e.type === "agent.start");
  if (startEvent === undefined) {
    throw new RecordingError(
      "the log has no agent.start event: no agent session was recorded in it.",
    );
  }
  const start = agentStart.safeParse(startEvent.data);
  if (!start.success) {
    throw new RecordingError(
      `the log's agent.start event lacks what a replay needs (it may come from an older Stamina): ${z.prettifyError(start.error)}`,
    );
  }
  const responses: Anthropic.Message[] = [];
  const elapsed: number[] = [];
  for (const event of events) {
    if (event.type === "model.request") {
      elapsed.push(typeof event.data.elapsedMs === "number" ? event.data.elapsedMs : 0);
    }
    if (event.type !== "model.response") continue;
    const parsed = modelResponse.safeParse(event.data);
    if (!parsed.success) {
      throw new RecordingError(
        `event ${event.seq} (model.response) lacks the response's content: ${z.prettifyError(parsed.error)}`,
      );
    }
    responses.push({
      id: parsed.data.id,
      type: "message",
      role: "assistant",
      model: start.data.model,
      content: parsed.data.content as unknown as Anthropic.ContentBlock[],
      stop_reason: parsed.data.stopReason as Anthropic.StopReason | null,
      stop_sequence: null,
      usage: parsed.data.usage as unknown as Anthropic.Usage,
    } as Anthropic.Message);
  }
  const stop = events.findLast((e) => e.type === "agent.stop")?.data.spent;
  const stoppedAt = (stop as { elapsedMs?: unknown } | undefined)?.elapsedMs;
  elapsed.push(typeof stoppedAt === "number" ? stoppedAt : (elapsed.at(-1) ?? 0));
  const from =
    events.find((e) => e.type === "run.start")?.data ??
    events.find((e) => e.type === "git.branch")?.data;
  const where = origin.safeParse(from);
  return {
    origin: where.success
      ? { repo: where.data.repo ?? null, branch: where.data.branch, base: where.data.base }
      : null,
    model: start.data.model,
    budget: start.data.budget,
    maxTokens: start.data.maxTokens,
    system: { text: start.data.system, templateHash: start.data.prompts.system },
    task: { text: start.data.task, templateHash: start.data.prompts.task },
    config: recordedConfig(start.data.config),
    worktree: start.data.worktree,
    outputDir: start.data.outputDir,
    responses,
    memory: start.data.memory ?? null,
    elapsed,
  };
}

/** The repository config the session ran with, as the log recorded it. */
function recordedConfig(raw: unknown): RepoConfig {
  try {
    return parseRepoConfig(raw);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new RecordingError(
      `the log's agent.start event records a repository config Stamina does not accept (edited?): ${error.problems.join("; ")}`,
    );
  }
}
