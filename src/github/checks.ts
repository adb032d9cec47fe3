// Check runs over an installation client: create on a commit, update, and
// find the ones of a name on a commit (a run that died before storing an id
// finds its check run again instead of adding a second).
import type { CheckRunWrite, RepoRef } from "./types.ts";
import type { InstallationOctokit } from "./client.ts";

type Repo = Pick<RepoRef, "owner" | "repo">;

function body(check: CheckRunWrite, now: Date) {
  return {
    name: check.name,
    external_id: check.externalId,
    status: check.status,
    ...(check.status === "completed"
      ? { conclusion: check.conclusion ?? "neutral", completed_at: now.toISOString() }
      : {}),
    output: {
      title: check.title,
      summary: check.summary,
      ...(check.text === undefined ? {} : { text: check.text }),
    },
  };
}

export async function createCheckRun(
  octokit: InstallationOctokit,
  ref: Repo,
  headSha: string,
  check: CheckRunWrite,
  now: Date = new Date(),
): Promise<{ id: number }> {
  const { data } = await octokit.rest.checks.create({
    ...ref,
    head_sha: headSha,
    started_at: now.toISOString(),
    ...body(check, now),
  });
  return { id: data.id };
}

export async function updateCheckRun(
  octokit: InstallationOctokit,
  ref: Repo,
  id: number,
  check: CheckRunWrite,
  now: Date = new Date(),
): Promise<void> {
  await octokit.rest.checks.update({ ...ref, check_run_id: id, ...body(check, now) });
}

export async function findCheckRuns(
  octokit: InstallationOctokit,
  ref: Repo,
  headSha: string,
  name: string,
): Promise<Array<{ id: number; externalId: string }>> {
  const runs = await octokit.paginate(octokit.rest.checks.listForRef, {
    ...ref,
    ref: headSha,
    check_name: name,
    filter: "all",
    per_page: 100,
  });
  return runs.map((r) => ({ id: r.id, externalId: r.external_id ?? "" }));
}
