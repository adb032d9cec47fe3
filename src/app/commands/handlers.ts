// The handler of each `/stamina` command, by name. The type makes a command
// in COMMANDS without a handler (or the reverse) a compile error.
import type { CommandName } from "../commands.ts";
import type { CommandHandler } from "./context.ts";
import { approve } from "./approve.ts";
import { deny } from "./deny.ts";
import { help } from "./help.ts";
import { plan } from "./plan.ts";
import { retry } from "./retry.ts";
import { rollback } from "./rollback.ts";
import { run } from "./run.ts";
import { status } from "./status.ts";
import { stop } from "./stop.ts";

export const HANDLERS: Record<CommandName, CommandHandler> = {
  run,
  plan,
  retry,
  stop,
  approve,
  deny,
  rollback,
  status,
  help,
};
