// The whole audit log attached to the pull request's head commit, once the
// run has recorded its last event (before it lets go of the run): check runs "Stamina audit log", "Stamina audit log (2)" and
// on (check runs notify nobody), completed as neutral. Written after the
// log's last event, so they hold every event; their ids are stored part by
// part, so publishing again (a resumed or later run) edits them. A part made
// on GitHub whose id was not stored (the worker died in between) is found by
// its external id and edited, not made twice.
import { auditParts } from "../audit/parts.ts";
import type { GitHubPort, RepoRef } from "../github/types.ts";
import type { Store } from "../store/store.ts";

export async function publishAuditLog(deps: {
  store: Store;
  github: GitHubPort;
  runId: string;
}): Promise<number> {
  const { store, github, runId } = deps;
  const run = await store.runs.mustGet(runId);
  const sha = run.headSha;
  if (sha === null) return 0; // nothing pushed: no commit to attach the log to
  const ref: RepoRef = { installationId: run.installationId, owner: run.owner, repo: run.repo };
  const parts = auditParts(await store.audit.events(runId));
  const stored = run.auditCheckRuns?.sha === sha ? run.auditCheckRuns.ids : [];
  const ids: number[] = [];
  for (const [index, part] of parts.entries()) {
    const check = {
      name: part.name,
      externalId: `${runId}:audit:${index + 1}`,
      status: "completed" as const,
      conclusion: "neutral" as const,
      title: part.title,
      summary: part.summary,
      text: part.text,
    };
    const id = stored[index] ?? (await madeEarlier(github, ref, sha, check));
    if (id !== undefined) {
      await github.updateCheckRun(ref, id, check);
      ids.push(id);
      if (stored[index] === undefined)
        await store.runs.update(runId, { auditCheckRuns: { sha, ids } });
      continue;
    }
    ids.push((await github.createCheckRun(ref, sha, check)).id);
    await store.runs.update(runId, { auditCheckRuns: { sha, ids } });
  }
  return parts.length;
}

/** The id of a part's check run already on the commit (made by an attempt that died before storing it). */
async function madeEarlier(
  github: GitHubPort,
  ref: RepoRef,
  sha: string,
  check: { name: string; externalId: string },
): Promise<number | undefined> {
  const found = await github.findCheckRuns(ref, sha, check.name);
  return found.find((c) => c.externalId === check.externalId)?.id;
}
