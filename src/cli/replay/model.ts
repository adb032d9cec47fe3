// The model port of a replay: it answers each request with the next recorded
// response, and keeps a clock at the wall time the recorded run had used, so
// the budgets stop the replay where they stopped the recording.
import type { ModelPort } from "../../model/types.ts";
import { costOf, priceOf } from "../../model/prices.ts";
import { RecordingError, type Recording } from "./recording.ts";

/** The replayed run asked for more responses than were recorded. */
export class ReplayExhausted extends Error {
  override name = "ReplayExhausted";
  constructor(readonly step: number) {
    super(
      `the replayed run asked the model for turn ${step}, but the recording has only ${step - 1}`,
    );
  }
}

export function recordedModel(recording: Recording): { model: ModelPort; clock: () => number } {
  const price = priceOf(recording.model);
  if (price === undefined) {
    throw new RecordingError(
      `the recorded model ${recording.model} has no price, so its budget cannot be replayed.`,
    );
  }
  let served = 0;
  // The loop measures from its first reading, which is the recorded run's start.
  let now = 0;
  return {
    clock: () => now,
    model: {
      model: recording.model,
      cost: (usage) => costOf(price, usage),
      complete: () => {
        const message = recording.responses[served];
        served += 1;
        if (message === undefined) return Promise.reject(new ReplayExhausted(served));
        // By the next budget check, the recorded run had used this much wall time.
        now = recording.elapsed[served] ?? now;
        return Promise.resolve(structuredClone(message));
      },
    },
  };
}
