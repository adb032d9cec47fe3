// The phases of a run, in order. The harness moves between them; the model
// only works within them, and never decides that verification passed.
//
//   orient     reading the code and writing a plan (update_plan)
//   implement  changing it
//   verify     the harness ran the checks after the model ended its turn; they failed, and
//              the model is fixing them (again and again, until green or out of budget)
//   review     the checks passed; the whole diff went back to the model with a checklist
//   final_verify  the harness checks the reviewed change; the model fixes what broke
//   done       the harness saw the final change pass (or there was nothing to check)

export const PHASES = ["orient", "implement", "verify", "review", "final_verify", "done"] as const;

export type Phase = (typeof PHASES)[number];

/** A phase in words, for people watching the run. */
export function describePhase(phase: Phase): string {
  switch (phase) {
    case "orient":
      return "orienting and planning";
    case "implement":
      return "implementing";
    case "verify":
      return "fixing what the checks found";
    case "review":
      return "reviewing its own change";
    case "final_verify":
      return "fixing what the final checks found";
    case "done":
      return "done";
  }
}
