// Review threads of a pull request over an installation client: every thread
// with its comments (GraphQL `reviewThreads`, the only API that knows which
// are resolved; each comment with when it was written and last edited, so a
// round can read the thread as it stood at its trigger), a reply in a thread
// (REST), and resolving a thread (GraphQL).
import type { RepoRef, ReviewThread } from "./types.ts";
import type { InstallationOctokit } from "./client.ts";

type Repo = Pick<RepoRef, "owner" | "repo">;

/** GitHub pages connections by at most 100; a review of more threads takes several pages. */
const PAGE = 100;
/** Comments of a thread beyond this are rare; the first ones and the last say what it is about. */
const COMMENTS = 50;

const THREADS = `query($owner: String!, $name: String!, $number: Int!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      reviewThreads(first: $first, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          isResolved
          isOutdated
          path
          line
          originalLine
          comments(last: ${COMMENTS}) {
            nodes { databaseId body diffHunk url createdAt lastEditedAt originalCommit { oid } author { __typename login } }
          }
        }
      }
    }
  }
}`;

interface ThreadsAnswer {
  repository: {
    pullRequest: {
      reviewThreads: {
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
        nodes: Array<{
          id: string;
          isResolved: boolean;
          isOutdated: boolean;
          path: string;
          line: number | null;
          originalLine: number | null;
          comments: {
            nodes: Array<{
              databaseId: number | null;
              body: string;
              diffHunk: string;
              url: string;
              createdAt: string;
              lastEditedAt: string | null;
              originalCommit: { oid: string } | null;
              author: { __typename: string; login: string } | null;
            }>;
          };
        }>;
      };
    } | null;
  } | null;
}

export async function reviewThreads(
  octokit: InstallationOctokit,
  ref: Repo,
  number: number,
): Promise<ReviewThread[]> {
  const threads: ReviewThread[] = [];
  let after: string | null = null;
  for (;;) {
    const answer: ThreadsAnswer = await octokit.graphql<ThreadsAnswer>(THREADS, {
      owner: ref.owner,
      name: ref.repo,
      number,
      first: PAGE,
      after,
    });
    const page = answer.repository?.pullRequest?.reviewThreads;
    if (!page) return threads;
    for (const node of page.nodes) {
      threads.push({
        id: node.id,
        resolved: node.isResolved,
        outdated: node.isOutdated,
        path: node.path,
        line: node.line,
        originalLine: node.originalLine,
        diffHunk: node.comments.nodes[0]?.diffHunk ?? "",
        originalCommit: node.comments.nodes[0]?.originalCommit?.oid ?? null,
        comments: node.comments.nodes.map((c) => ({
          id: c.databaseId ?? 0,
          body: c.body,
          url: c.url,
          author: c.author?.login ?? "ghost",
          bot: c.author?.__typename === "Bot",
          createdAt: c.createdAt,
          lastEditedAt: c.lastEditedAt,
        })),
      });
    }
    if (!page.pageInfo.hasNextPage || page.pageInfo.endCursor === null) return threads;
    after = page.pageInfo.endCursor;
  }
}

/** A reply in the thread of review comment `commentId`; the reply's URL. */
export async function replyInThread(
  octokit: InstallationOctokit,
  ref: Repo,
  pull: number,
  commentId: number,
  body: string,
): Promise<string> {
  const { data } = await octokit.rest.pulls.createReplyForReviewComment({
    ...ref,
    pull_number: pull,
    comment_id: commentId,
    body,
  });
  return data.html_url;
}

const RESOLVE = `mutation($id: ID!) {
  resolveReviewThread(input: { threadId: $id }) { thread { id isResolved } }
}`;

export async function resolveThread(octokit: InstallationOctokit, threadId: string): Promise<void> {
  await octokit.graphql(RESOLVE, { id: threadId });
}
