// The usage a response is billed for. A request the API compacts (`compact_20260112`) samples
// twice: a compaction iteration that reads the whole prompt and writes the summary, then the
// answer over the compacted prompt. The response's top-level usage counts the answer alone and
// lists both under `usage.iterations`; the bill is the sum. The port folds the compaction
// iterations into the top-level counts, so the token and dollar budgets and the audit log count
// what the run is charged. The SDK's standard Usage type has no `iterations`: it is read here
// with a narrow check, and anything unexpected in it is left uncounted rather than trusted.
import type Anthropic from "@anthropic-ai/sdk";
import { z } from "zod";

const count = z.number().int().nonnegative().nullish();

const compactionIteration = z.object({
  type: z.literal("compaction"),
  input_tokens: count,
  output_tokens: count,
  cache_read_input_tokens: count,
  cache_creation_input_tokens: count,
});

/** The compaction iterations of a response's usage: none when it lists none (or not readably). */
function compactionIterations(usage: Anthropic.Usage): Array<z.infer<typeof compactionIteration>> {
  const iterations = (usage as { iterations?: unknown }).iterations;
  if (!Array.isArray(iterations)) return [];
  return iterations.flatMap((entry: unknown) => {
    const parsed = compactionIteration.safeParse(entry);
    return parsed.success ? [parsed.data] : [];
  });
}

/**
 * The usage with every compaction iteration's tokens added to the top-level counts (the list of
 * iterations kept as answered). Message iterations are already in the top-level counts, so only
 * compaction iterations are added; a response without any is returned as it came.
 */
export function billedUsage(usage: Anthropic.Usage): Anthropic.Usage {
  const compactions = compactionIterations(usage);
  if (compactions.length === 0) return usage;
  const sum = (field: keyof (typeof compactions)[number]) =>
    compactions.reduce((n, c) => n + ((c[field] as number | null | undefined) ?? 0), 0);
  return {
    ...usage,
    input_tokens: usage.input_tokens + sum("input_tokens"),
    output_tokens: usage.output_tokens + sum("output_tokens"),
    cache_read_input_tokens: (usage.cache_read_input_tokens ?? 0) + sum("cache_read_input_tokens"),
    cache_creation_input_tokens:
      (usage.cache_creation_input_tokens ?? 0) + sum("cache_creation_input_tokens"),
  };
}
