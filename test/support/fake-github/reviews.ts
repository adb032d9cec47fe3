// Reviews on the fake's pull requests: a submitted review's comments, each the
// start of a review thread; replies in a thread (REST, by the app's bot); and
// GraphQL's `reviewThreads` of a pull request and `resolveReviewThread`, as
// GitHub answers them (each comment with `createdAt` and `lastEditedAt`).
// Tests submit reviews, push human replies and edit comments through the
// handle (index.ts); the app reads and writes only through the API.
import { execFileSync } from "node:child_process";
import { type Need, holds, notAccessible, reaches } from "./grants.ts";
import type { GraphQLEndpoint } from "./graphql.ts";
import { notFound } from "./http-io.ts";
import { intParam, type RouteTable } from "./route.ts";
import { BOT_LOGIN, nodeIdOf, userJson } from "./shapes.ts";
import type { FakeState, RepoRecord } from "./state.ts";
import type { GraphQLContext } from "./types.ts";

export interface ReviewCommentRecord {
  id: number;
  threadId: number;
  body: string;
  user: string;
  createdAt: number;
  /** Every edit, oldest first: who edited, when, and the text before it. */
  edits: Array<{ editor: string; at: number; before: string }>;
}

export interface ReviewThreadRecord {
  id: number;
  repoId: number;
  pullNumber: number;
  reviewId: number;
  path: string;
  /** The line on the pull request's head; null once the line is outdated, as on GitHub. */
  line: number | null;
  originalLine: number;
  /** The commit the comment was written against (its `original_commit_id`). */
  originalCommit: string;
  diffHunk: string;
  isOutdated: boolean;
  isResolved: boolean;
  resolvedBy: string | null;
}

/** One comment of a review, where it sits. */
export interface NewReviewComment {
  path: string;
  line: number;
  body: string;
  diffHunk?: string;
  /** The line changed since the comment: GitHub shows it as outdated, with no current line. */
  outdated?: boolean;
  /** The commit it was written against; the pull request's head now, unless given. */
  commit?: string;
}

export interface ReviewView {
  reviewId: number;
  threads: Array<{ threadId: string; commentId: number }>;
}

export interface ReviewThreadView {
  id: string;
  path: string;
  line: number | null;
  isResolved: boolean;
  resolvedBy: string | null;
  comments: Array<{
    id: number;
    body: string;
    user: string;
    createdAt: string;
    /** When it was last edited (ISO 8601), null when never, as GraphQL's `lastEditedAt`. */
    lastEditedAt: string | null;
  }>;
}

/** Where the pull request's branch is now in the fake's bare repository: a comment's commit. */
function headOf(state: FakeState, repo: RepoRecord, pullNumber: number): string {
  const pull = state.pulls.find((p) => p.repoId === repo.id && p.number === pullNumber);
  if (!pull) return "0".repeat(40);
  return execFileSync("git", ["--git-dir", repo.barePath, "rev-parse", `refs/heads/${pull.head}`], {
    encoding: "utf8",
  }).trim();
}

function threadNodeId(thread: ReviewThreadRecord): string {
  return nodeIdOf("PRRT", thread.id);
}

/** A review with its comments, each a new thread, as if `user` submitted it on GitHub. */
export function submitReview(
  state: FakeState,
  repo: RepoRecord,
  pullNumber: number,
  review: { user: string; comments: NewReviewComment[] },
): ReviewView {
  if (!state.pulls.some((p) => p.repoId === repo.id && p.number === pullNumber)) {
    throw new Error(`no pull request #${pullNumber} in ${repo.owner}/${repo.name}`);
  }
  const reviewId = state.nextId();
  const threads = review.comments.map((c) => {
    const thread: ReviewThreadRecord = {
      id: state.nextId(),
      repoId: repo.id,
      pullNumber,
      reviewId,
      path: c.path,
      line: c.outdated ? null : c.line,
      originalLine: c.line,
      originalCommit: c.commit ?? headOf(state, repo, pullNumber),
      diffHunk: c.diffHunk ?? `@@ -${c.line} +${c.line} @@`,
      isOutdated: c.outdated === true,
      isResolved: false,
      resolvedBy: null,
    };
    state.reviewThreads.push(thread);
    const commentId = addReviewComment(state, thread, review.user, c.body);
    return { threadId: threadNodeId(thread), commentId };
  });
  return { reviewId, threads };
}

export function addReviewComment(
  state: FakeState,
  thread: ReviewThreadRecord,
  user: string,
  body: string,
): number {
  const comment: ReviewCommentRecord = {
    id: state.nextId(),
    threadId: thread.id,
    body,
    user,
    createdAt: state.now(),
    edits: [],
  };
  state.reviewComments.push(comment);
  return comment.id;
}

/**
 * `user` edits review comment `commentId` to `body`, as a person does on GitHub (its author, or
 * someone who may write): the text changes in place and the edit is kept in its history.
 */
export function editReviewComment(
  state: FakeState,
  commentId: number,
  user: string,
  body: string,
): void {
  const comment = state.reviewComments.find((c) => c.id === commentId);
  if (!comment) throw new Error(`no review comment ${commentId}`);
  comment.edits.push({ editor: user, at: state.now(), before: comment.body });
  comment.body = body;
}

/** When the comment's text last changed (ms), or null: GraphQL's `lastEditedAt`. */
const lastEditedAt = (c: ReviewCommentRecord): number | null => c.edits.at(-1)?.at ?? null;

export function threadViews(
  state: FakeState,
  repo: RepoRecord,
  pullNumber: number,
): ReviewThreadView[] {
  return state.reviewThreads
    .filter((t) => t.repoId === repo.id && t.pullNumber === pullNumber)
    .map((t) => ({
      id: threadNodeId(t),
      path: t.path,
      line: t.line,
      isResolved: t.isResolved,
      resolvedBy: t.resolvedBy,
      comments: commentsOf(state, t).map((c) => ({
        id: c.id,
        body: c.body,
        user: c.user,
        createdAt: state.iso(c.createdAt),
        lastEditedAt: isoOrNull(state, lastEditedAt(c)),
      })),
    }));
}

function commentsOf(state: FakeState, thread: ReviewThreadRecord): ReviewCommentRecord[] {
  return state.reviewComments.filter((c) => c.threadId === thread.id);
}

export const reviewRoutes: RouteTable = {
  "POST /repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies": {
    auth: "token",
    handle: ({ world, repo, params, body }) => {
      const { state } = world;
      const pullNumber = intParam(params, "pull_number");
      const target = state.reviewComments.find((c) => c.id === intParam(params, "comment_id"));
      const thread = target && state.reviewThreads.find((t) => t.id === target.threadId);
      if (!thread || thread.repoId !== repo.id || thread.pullNumber !== pullNumber) {
        throw notFound();
      }
      const id = addReviewComment(state, thread, BOT_LOGIN, String(body.body));
      const comment = state.reviewComments.find((c) => c.id === id)!;
      return { status: 201, body: reviewCommentJson(state, repo, thread, comment) };
    },
  },
};

function reviewCommentJson(
  state: FakeState,
  repo: RepoRecord,
  thread: ReviewThreadRecord,
  comment: ReviewCommentRecord,
): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  const first = commentsOf(state, thread)[0];
  return {
    id: comment.id,
    node_id: nodeIdOf("PRRC", comment.id),
    url: `${state.url}/api/v3/repos/${fullName}/pulls/comments/${comment.id}`,
    pull_request_review_id: thread.reviewId,
    diff_hunk: thread.diffHunk,
    path: thread.path,
    commit_id: "0".repeat(40),
    original_commit_id: thread.originalCommit,
    in_reply_to_id: first && first.id !== comment.id ? first.id : undefined,
    user: userJson(state, comment.user),
    body: comment.body,
    created_at: state.iso(comment.createdAt),
    updated_at: state.iso(lastEditedAt(comment) ?? comment.createdAt),
    html_url: `${state.url}/${fullName}/pull/${thread.pullNumber}#discussion_r${comment.id}`,
    pull_request_url: `${state.url}/api/v3/repos/${fullName}/pulls/${thread.pullNumber}`,
    author_association: comment.user === BOT_LOGIN ? "NONE" : "MEMBER",
    _links: {
      self: { href: `${state.url}/api/v3/repos/${fullName}/pulls/comments/${comment.id}` },
      html: {
        href: `${state.url}/${fullName}/pull/${thread.pullNumber}#discussion_r${comment.id}`,
      },
      pull_request: { href: `${state.url}/api/v3/repos/${fullName}/pulls/${thread.pullNumber}` },
    },
    line: thread.line,
    original_line: thread.originalLine,
    side: "RIGHT",
  };
}

/**
 * `repository(owner, name) { pullRequest(number) { reviewThreads(first, after) } }` and the
 * `resolveReviewThread` mutation. Only the fields Stamina asks for are filled in; the query is
 * validated against GitHub's schema before it gets here.
 */
export function registerReviewGraphQL(graphql: GraphQLEndpoint, state: FakeState): void {
  graphql.register(/\breviewThreads\b/, (variables, _query, context) => {
    const repo = repoOf(state, variables, context, [["pull_requests", "read"]]);
    const number = Number(variables.number);
    const pull = state.pulls.find((p) => p.repoId === repo.id && p.number === number);
    if (!pull) throw new Error(`Could not resolve to a PullRequest with the number of ${number}.`);
    const all = state.reviewThreads.filter((t) => t.repoId === repo.id && t.pullNumber === number);
    const first = Math.min(Number(variables.first ?? 100), 100);
    const after = typeof variables.after === "string" ? Number(fromCursor(variables.after)) : 0;
    const page = all.slice(after, after + first);
    return {
      repository: {
        pullRequest: {
          reviewThreads: {
            totalCount: all.length,
            pageInfo: {
              hasNextPage: after + first < all.length,
              endCursor: page.length > 0 ? toCursor(after + page.length) : null,
            },
            nodes: page.map((t) => threadNode(state, t)),
          },
        },
      },
    };
  });
  graphql.register(/\bresolveReviewThread\b/, (variables, _query, context) => {
    // The thread's id, as a variable of its own or inside `input` (`{ threadId }`).
    const values = Object.values(variables).flatMap((v): unknown[] =>
      typeof v === "object" && v !== null ? Object.values(v as Record<string, unknown>) : [v],
    );
    const id = values.find((v): v is string => typeof v === "string") ?? "";
    const match = /^PRRT_(\d+)$/.exec(Buffer.from(id, "base64").toString("utf8"));
    const thread = match && state.reviewThreads.find((t) => t.id === Number(match[1]));
    const repo = thread && [...state.reposList()].find((r) => r.id === thread.repoId);
    if (!thread || !repo || !reaches(context.token, repo)) {
      throw new Error(`Could not resolve to a node with the global id of '${id}'.`);
    }
    if (!holds(context.token, [["pull_requests", "write"]])) throw notAccessible();
    thread.isResolved = true;
    thread.resolvedBy = BOT_LOGIN;
    return { resolveReviewThread: { thread: { id, isResolved: true } } };
  });
}

function threadNode(state: FakeState, t: ReviewThreadRecord): Record<string, unknown> {
  const comments = commentsOf(state, t);
  return {
    id: threadNodeId(t),
    isResolved: t.isResolved,
    isOutdated: t.isOutdated,
    path: t.path,
    line: t.line,
    originalLine: t.originalLine,
    diffSide: "RIGHT",
    comments: {
      totalCount: comments.length,
      nodes: comments.map((c) => ({
        id: nodeIdOf("PRRC", c.id),
        databaseId: c.id,
        body: c.body,
        diffHunk: t.diffHunk,
        createdAt: state.iso(c.createdAt),
        lastEditedAt: isoOrNull(state, lastEditedAt(c)),
        originalCommit: { oid: t.originalCommit },
        url: `${state.url}/pull/${t.pullNumber}#discussion_r${c.id}`,
        author: {
          login: c.user.replace(/\[bot\]$/, ""),
          __typename: c.user.endsWith("[bot]") ? "Bot" : "User",
        },
      })),
    },
  };
}

function repoOf(
  state: FakeState,
  variables: Record<string, unknown>,
  context: GraphQLContext,
  need: Need,
): RepoRecord {
  const repo = state.repo(String(variables.owner), String(variables.name));
  if (!repo || !reaches(context.token, repo)) {
    throw new Error(
      `Could not resolve to a Repository with the name '${String(variables.owner)}/${String(variables.name)}'.`,
    );
  }
  if (!holds(context.token, need)) throw notAccessible();
  return repo;
}

const isoOrNull = (state: FakeState, ms: number | null): string | null =>
  ms === null ? null : state.iso(ms);

const toCursor = (n: number): string => Buffer.from(`cursor:${n}`).toString("base64");
const fromCursor = (c: string): string => Buffer.from(c, "base64").toString("utf8").slice(7);
