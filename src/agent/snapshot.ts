// The loop's state as the harness stores it: a fresh one for a new run, and
// the one handed back on resume, checked where it enters (it comes from a
// database, perhaps written by an older version) and filled with defaults.
import type Anthropic from "@anthropic-ai/sdk";
import { z } from "zod";
import { PHASES } from "./phase.ts";
import type { AgentSnapshot } from "./ports.ts";

const count = z.number().finite().nonnegative().catch(0);

const checkName = z.enum(["build", "test", "lint"]);

const checkResult = z.object({
  name: checkName,
  command: z.string(),
  passed: z.boolean(),
  skipped: z.string().nullable(),
  exitCode: z.number().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number(),
  output: z.string(),
  fullOutputPath: z.string().nullable(),
});

const report = z.object({
  configured: z.boolean(),
  passed: z.boolean(),
  aborted: z.boolean(),
  checks: z.array(checkResult),
});

const snapshotSchema = z.object({
  version: z.literal(1).catch(1),
  usage: z
    .object({
      inputTokens: count,
      outputTokens: count,
      cacheReadTokens: count,
      cacheWriteTokens: count,
    })
    .catch(() => ({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 })),
  spent: z
    .object({ tokens: count, dollars: count, elapsedMs: count })
    .catch(() => ({ tokens: 0, dollars: 0, elapsedMs: 0 })),
  phase: z.enum(PHASES).catch("orient"),
  plan: z
    .array(z.object({ step: z.string(), status: z.enum(["pending", "in_progress", "done"]) }))
    .catch(() => []),
  verification: z
    .object({
      ...report.shape,
      phase: z.enum(PHASES),
      diffHash: z.string(),
      preexisting: z.array(checkName).optional().catch(undefined),
      flaky: z.array(checkName).optional().catch(undefined),
    })
    .nullable()
    .catch(null),
  verifications: count,
  hooks: z.record(z.string(), z.unknown()).catch(() => ({})),
  pause: z
    .object({
      source: z.enum(["watchdog", "ask_human", "approval", "budget"]),
      reason: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    })
    .nullable()
    .catch(null),
  // Blocks of a reply as the loop wrote them; their shape is the Messages API's, kept verbatim.
  held: z
    .array(z.custom<Anthropic.ContentBlockParam>((b) => typeof b === "object" && b !== null))
    .nullable()
    .catch(null),
  budgetGranted: count,
  baseline: report.nullable().catch(null),
  askedNoChange: z.boolean().catch(false),
  failedEnds: z
    .object({ key: z.string(), count, diffHash: z.string(), unchanged: count })
    .nullable()
    .catch(null),
});

export function initialSnapshot(): AgentSnapshot {
  return snapshotSchema.parse({});
}

/** A stored state as the loop needs it; missing or malformed parts get their defaults. */
export function restoreSnapshot(raw: unknown): AgentSnapshot {
  // A copy: the loop changes its state in place, and the caller's object is not its own.
  return snapshotSchema.parse(structuredClone(typeof raw === "object" && raw !== null ? raw : {}));
}
