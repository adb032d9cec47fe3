// What every `/stamina` command handler gets: the comment it came in, where,
// from whom (a writer: the gate in issue-comment.ts already checked), and the
// app's dependencies. A handler does one command and says how it went; the
// handler of the comment turns that into the reaction.
import type { Context } from "probot";
import type { InstallationOctokit } from "../../github/client.ts";
import type { Logger } from "../../observability/logger.ts";
import type { HandlerDependencies } from "../dependencies.ts";

export interface CommandContext {
  deps: HandlerDependencies;
  /** The delivery the comment came in. */
  context: Context<"issue_comment.created">;
  octokit: InstallationOctokit;
  where: { owner: string; repo: string };
  /** The issue or pull request the comment is on. */
  number: number;
  /** The comment is on a pull request (GitHub sends those as issue comments too). */
  onPullRequest: boolean;
  /** Who wrote the command, `@login`. */
  by: string;
  /** The text after the command word, trimmed. */
  args: string;
  log: Logger;
}

/**
 * How a command went: `done` is acknowledged with 👍, `nothing` (nothing to do: no run to stop,
 * no approval pending) with 😕. A handler that has to explain itself posts its own comment too.
 */
export type CommandResult = "done" | "nothing";

export type CommandHandler = (command: CommandContext) => Promise<CommandResult>;
