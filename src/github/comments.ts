// Finding a comment the app posted before, so a write that may have happened
// (the process died before storing its id) is found and edited, not repeated.
import type { InstallationOctokit } from "./client.ts";

/** The id of the first comment by a bot on the issue whose body contains `needle`, or null. */
export async function findBotComment(
  octokit: InstallationOctokit,
  issue: { owner: string; repo: string; issue_number: number },
  needle: string,
): Promise<number | null> {
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    ...issue,
    per_page: 100,
  });
  for await (const { data } of pages) {
    const found = data.find((c) => c.user?.type === "Bot" && (c.body ?? "").includes(needle));
    if (found) return found.id;
  }
  return null;
}
