// A failure whose message is written for the maintainer reading the issue,
// with the terminal state it leaves the run in.
import type { RunState } from "../store/schema.ts";

export class RunFailure extends Error {
  constructor(
    message: string,
    readonly state: RunState = "failed",
  ) {
    super(message);
    this.name = "RunFailure";
  }
}

/** Any error as a RunFailure; the raw text of one that is not ours never reaches a comment. */
export function asFailure(error: unknown, phase: string, runId: string): RunFailure {
  if (error instanceof RunFailure) return error;
  return new RunFailure(
    `something went wrong while ${phase}. The operators of this Stamina installation can find the details in its logs under run \`${runId}\`.`,
  );
}
