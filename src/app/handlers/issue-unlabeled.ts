// issues.unlabeled: removing the label that started the issue's active run
// stops it, when the one who removed it may write to the repository (as for
// `/stamina stop`). GitHub lets triagers, and any workflow token with
// `issues: write`, remove labels: from them the run goes on, the attempt is a
// `safety` event on the run, and the issue is told once per run who may stop it.
import type { Context } from "probot";
import { inlineText } from "../../audit/markdown.ts";
import { SAFETY_EVENT, safetyEvent } from "../../audit/safety.ts";
import type { InstallationOctokit } from "../../github/client.ts";
import { isWriter } from "../../github/permissions.ts";
import type { Logger } from "../../observability/logger.ts";
import type { Run } from "../../store/types.ts";
import { cancelRun } from "../cancel.ts";
import type { HandlerDependencies } from "../dependencies.ts";

/** The control this handler is, in the `safety` events it records. */
const CONTROL = "steer.writers";

/** A GitHub login as it may be named in a comment: `@login`, or nothing from the payload. */
function mention(login: string): string {
  return /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/.test(login) ? `@${login}` : "someone";
}

function refusalComment(by: string, label: string): string {
  return [
    `ℹ️ Stamina is still working: ${by} removed the \`${label}\` label, but only someone with write access to this repository can stop a run.`,
    "",
    `Someone with write access can stop it by commenting \`/stamina stop\`, or by removing the \`${label}\` label.`,
  ].join("\n");
}

export function onIssueUnlabeled(deps: HandlerDependencies) {
  return async (context: Context<"issues.unlabeled">): Promise<void> => {
    const { payload } = context;
    const installationId = payload.installation?.id;
    if (installationId === undefined || payload.label === undefined) return;
    const owner = payload.repository.owner.login;
    const repo = payload.repository.name;
    const run = await deps.store.runs.activeOn(owner, repo, payload.issue.number);
    if (!run || run.kind !== "issue" || payload.label.name !== run.config.label) return;
    const octokit = deps.clients.forRepository({ installationId, owner, repo });
    const sender = payload.sender;
    const { writer, role } = await isWriter(octokit, { owner, repo }, sender);
    if (!writer) {
      const log = deps.log.child({ deliveryId: context.id, owner, repo, runId: run.id });
      await refuseStop(deps, { run, octokit, log }, { login: sender.login, role });
      return;
    }
    await cancelRun(
      deps,
      run,
      { by: `@${sender.login}`, reason: `removed the \`${run.config.label}\` label` },
      octokit,
    );
  };
}

/**
 * The label removed by someone who cannot write: recorded on the run, and said on the issue by
 * the first such attempt only (the one whose event is the run's first of this control, so two
 * deliveries handled at once still post one comment).
 */
async function refuseStop(
  deps: HandlerDependencies,
  at: { run: Run; octokit: InstallationOctokit; log: Logger },
  sender: { login: string; role: string },
): Promise<void> {
  const { run, octokit, log } = at;
  const by = mention(sender.login);
  const label = inlineText(run.config.label, 50);
  log.info(
    { sender: sender.login, role: sender.role },
    "label removed by a sender who cannot write; the run goes on",
  );
  const [recorded] = await deps.store.audit.append(run.id, [
    safetyEvent({
      control: CONTROL,
      outcome: "blocked",
      detail: `${by} (${sender.role}) removed the \`${label}\` label; only someone with write access stops a run, so it goes on.`,
      by,
    }),
  ]);
  const first = (await deps.store.audit.events(run.id)).find(
    (e) => e.type === SAFETY_EVENT && e.data.control === CONTROL,
  );
  if (recorded === undefined || first?.seq !== recorded.seq) {
    log.info("said before on this run who may stop it; no comment");
    return;
  }
  const { data } = await octokit.rest.issues.createComment({
    owner: run.owner,
    repo: run.repo,
    issue_number: run.issueNumber,
    body: refusalComment(by, label),
  });
  await deps.store.audit.append(run.id, [
    { type: "github.write", data: { op: "comment.create", commentId: data.id } },
  ]);
}
