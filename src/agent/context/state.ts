// The context manager's own state, kept in the agent's snapshot (`hooks.context`) so a resumed
// run builds the same view: where the kept tail starts, the summary that replaces what is
// before it, how far client-side clearing has gone, and the counts the health event reports.
import { z } from "zod";

const count = z.number().int().nonnegative().catch(0);

const contextStateSchema = z.object({
  /** Transcript index (an assistant message) where the kept tail starts; 0 before a compaction. */
  boundary: count,
  /** What replaces the messages between the task and the boundary. */
  summary: z.string().nullable().catch(null),
  /** The plan as it stood when the summary was written: the header keeps it until the next one. */
  summaryPlan: z.string().catch(""),
  /** Transcript index of the assistant message whose compaction block the server wrote; 0 if none. */
  serverCompactionAt: count,
  /** Tool results (counted over the whole transcript) whose output the view no longer carries. */
  clearedResults: count,
  /** `clearedResults` before the last clearing: where the cached prefix the clearing kept ends. */
  clearedBefore: count,
  /** After a deterministic compaction, the tail's tool results are cut too (an overflow's fix). */
  clipTail: z.boolean().catch(false),
  /** Overflows since the last answer that did not overflow. */
  overflows: count,
  /** The next view is compacted deterministically, without a model call. */
  overflowPending: z.boolean().catch(false),
  compactions: count,
  clearings: count,
  serverClearings: count,
  serverClearedTokens: count,
  /** Step of the last progress file write. */
  progressStep: count,
  /** The phase, plan and verifications the progress file last showed. */
  progressKey: z.string().catch(""),
});

export type ContextState = z.output<typeof contextStateSchema>;

export function restoreContextState(raw: unknown): ContextState {
  return contextStateSchema.parse(typeof raw === "object" && raw !== null ? raw : {});
}
