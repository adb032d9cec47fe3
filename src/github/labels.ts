// Labels over an installation client: a repository's label created when it is
// missing (a race with another worker is not an error), and an issue's labels
// listed, added and removed.
import type { LabelSpec, RepoRef } from "./types.ts";
import type { InstallationOctokit } from "./client.ts";
import { isStatus } from "./permissions.ts";

type Repo = Pick<RepoRef, "owner" | "repo">;

export async function ensureLabel(
  octokit: InstallationOctokit,
  ref: Repo,
  label: LabelSpec,
): Promise<void> {
  try {
    await octokit.rest.issues.getLabel({ ...ref, name: label.name });
    return;
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
  try {
    await octokit.rest.issues.createLabel({ ...ref, ...label });
  } catch (error) {
    if (!isStatus(error, 422)) throw error; // created meanwhile
  }
}

export async function issueLabels(
  octokit: InstallationOctokit,
  ref: Repo,
  issueNumber: number,
): Promise<string[]> {
  const labels = await octokit.paginate(octokit.rest.issues.listLabelsOnIssue, {
    ...ref,
    issue_number: issueNumber,
    per_page: 100,
  });
  return labels.map((l) => l.name);
}

export async function addLabel(
  octokit: InstallationOctokit,
  ref: Repo,
  issueNumber: number,
  name: string,
): Promise<void> {
  await octokit.rest.issues.addLabels({ ...ref, issue_number: issueNumber, labels: [name] });
}

export async function removeLabel(
  octokit: InstallationOctokit,
  ref: Repo,
  issueNumber: number,
  name: string,
): Promise<void> {
  try {
    await octokit.rest.issues.removeLabel({ ...ref, issue_number: issueNumber, name });
  } catch (error) {
    if (!isStatus(error, 404)) throw error;
  }
}
