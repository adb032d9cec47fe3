// `/stamina deny`: a writer refuses the approval the run waits on. A
// held change is rolled back to the last checkpoint and the run goes on
// without it (the model is told first); a budget extension denied ends the run
// as out of budget, its work pushed. Recorded like approve.ts.
import { answerApproval } from "./approve.ts";
import type { CommandHandler } from "./context.ts";

export const deny: CommandHandler = (command) => answerApproval(command, false);
