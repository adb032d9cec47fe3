// Finding a comment the app posted before, so a write that may have happened
// (the process died before storing its id) is found and edited, not repeated;
// and an issue's comments as a run's task quotes them.
import type { InstallationOctokit } from "./client.ts";
import type { IssueComment } from "./types.ts";

/** How many comments of an issue a run reads: the first ones, as GitHub orders them. */
const MAX_ISSUE_COMMENTS = 300;

/** The issue's comments, oldest first, each with its author and whether that is a bot. */
export async function issueComments(
  octokit: InstallationOctokit,
  issue: { owner: string; repo: string; issue_number: number },
): Promise<IssueComment[]> {
  const comments: IssueComment[] = [];
  const pages = octokit.paginate.iterator(octokit.rest.issues.listComments, {
    ...issue,
    per_page: 100,
  });
  for await (const { data } of pages) {
    for (const c of data) {
      comments.push({
        id: c.id,
        author: c.user?.login ?? "ghost",
        bot: c.user?.type === "Bot",
        body: c.body ?? "",
        url: c.html_url,
        createdAt: c.created_at,
      });
    }
    if (comments.length >= MAX_ISSUE_COMMENTS) return comments.slice(0, MAX_ISSUE_COMMENTS);
  }
  return comments;
}

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
