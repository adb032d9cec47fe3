// `/stamina stop`: cancels the active run on this issue or pull request; the
// work so far is pushed, and the tracking comment says who stopped it.
import { cancelRun } from "../cancel.ts";
import type { CommandHandler } from "./context.ts";

export const stop: CommandHandler = async ({ deps, octokit, where, number, by, log }) => {
  const active = await deps.store.runs.activeOn(where.owner, where.repo, number);
  if (!active) {
    log.info("/stamina stop with no active run");
    return "nothing";
  }
  await cancelRun(deps, active, { by, reason: "asked with `/stamina stop`" }, octokit);
  return "done";
};
