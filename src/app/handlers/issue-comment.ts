// issue_comment.created: `/stamina` commands on an issue or pull request,
// accepted from writers only (bots never); any other comment from a writer on
// an issue whose run waits for a reply is the answer (answer.ts). Each accepted command is
// acknowledged with a reaction on the comment: 👍 done, 😕 nothing to do.
import type { Context } from "probot";
import { isWriter } from "../../github/permissions.ts";
import { cancelRun } from "../cancel.ts";
import { parseCommands, type Command } from "../commands.ts";
import { takeAnswer } from "./answer.ts";
import type { HandlerDependencies } from "./issue-labeled.ts";

export function onIssueComment(deps: HandlerDependencies) {
  return async (context: Context<"issue_comment.created">): Promise<void> => {
    const { payload } = context;
    const installationId = payload.installation?.id;
    if (installationId === undefined) return;
    const commands = parseCommands(payload.comment.body);
    if (commands.length === 0) {
      await takeAnswer(deps, context);
      return;
    }
    const where = { owner: payload.repository.owner.login, repo: payload.repository.name };
    const log = deps.log.child({ deliveryId: context.id, ...where, issue: payload.issue.number });
    if (await deps.store.installations.isSuspended(installationId)) return;
    const octokit = deps.clients.forInstallation(installationId);
    const { writer, role } = await isWriter(octokit, where, payload.sender);
    if (!writer) {
      log.info(
        { sender: payload.sender.login, role },
        "command from a sender who cannot write; ignored",
      );
      return;
    }
    const react = async (content: "+1" | "confused") => {
      await octokit.rest.reactions.createForIssueComment({
        ...where,
        comment_id: payload.comment.id,
        content,
      });
    };
    for (const command of commands) {
      const done = await run(command);
      await react(done ? "+1" : "confused");
    }

    async function run(command: Command): Promise<boolean> {
      switch (command.name) {
        case "stop": {
          const active = await deps.store.activeRunOn(
            where.owner,
            where.repo,
            payload.issue.number,
          );
          if (!active) {
            log.info("/stamina stop with no active run");
            return false;
          }
          const by = `@${payload.sender.login}`;
          await cancelRun(deps, active, { by, reason: "asked with `/stamina stop`" }, octokit);
          return true;
        }
        case "unknown":
          log.info({ word: command.word }, "unknown /stamina command");
          return false;
      }
    }
  };
}
