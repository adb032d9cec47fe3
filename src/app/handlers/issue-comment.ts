// issue_comment.created: `/stamina` commands on an issue or pull request,
// accepted from writers only (bots, Stamina itself included, never); any other
// comment from a writer on an issue whose run waits for a reply is the answer
// (answer.ts), mention or not: it answers Stamina's own question; and on a
// Stamina pull request, one that mentions the app is a review to answer
// (review.ts; every one with `reviews.conversation: all`).
// Each command is done by its handler (src/app/commands/) and acknowledged
// with a reaction on the comment: 👍 done, 😕 nothing to do. An unknown
// command gets the help comment (commands/help.ts) and 😕.
import type { Context } from "probot";
import { isWriter } from "../../github/permissions.ts";
import { parseCommands } from "../commands.ts";
import type { CommandContext } from "../commands/context.ts";
import { HANDLERS } from "../commands/handlers.ts";
import { postHelp } from "../commands/help.ts";
import { takeAnswer } from "./answer.ts";
import { followUpFromComment } from "./review.ts";
import type { HandlerDependencies } from "../dependencies.ts";

export function onIssueComment(deps: HandlerDependencies) {
  return async (context: Context<"issue_comment.created">): Promise<void> => {
    const { payload } = context;
    const installationId = payload.installation?.id;
    if (installationId === undefined) return;
    const commands = parseCommands(payload.comment.body);
    if (commands.length === 0) {
      if (!(await takeAnswer(deps, context))) await followUpFromComment(deps, context);
      return;
    }
    const where = { owner: payload.repository.owner.login, repo: payload.repository.name };
    const log = deps.log.child({ deliveryId: context.id, ...where, issue: payload.issue.number });
    if (await deps.store.installations.isSuspended(installationId)) return;
    const octokit = deps.clients.forRepository({ installationId, ...where });
    const { writer, role } = await isWriter(octokit, where, payload.sender);
    if (!writer) {
      log.info(
        { sender: payload.sender.login, role },
        "command from a sender who cannot write; ignored",
      );
      return;
    }
    const base: Omit<CommandContext, "args"> = {
      deps,
      context,
      octokit,
      where,
      number: payload.issue.number,
      onPullRequest: payload.issue.pull_request !== undefined,
      by: `@${payload.sender.login}`,
      log,
    };
    for (const command of commands) {
      let done = false;
      if (command.name === "unknown") {
        log.info({ word: command.word }, "unknown /stamina command");
        // `/stamina` alone asks for the list; a word Stamina does not know gets it with 😕.
        await postHelp({ ...base, args: command.args }, command.word || undefined);
        done = command.word === "";
      } else {
        done = (await HANDLERS[command.name]({ ...base, args: command.args })) === "done";
      }
      await octokit.rest.reactions.createForIssueComment({
        ...where,
        comment_id: payload.comment.id,
        content: done ? "+1" : "confused",
      });
    }
  };
}
