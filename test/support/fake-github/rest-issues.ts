// REST routes on issues: comments (create, edit, read, list) and reactions on issues and on
// comments, all written by the app's bot user.
import { notFound } from "./http-io.ts";
import { type RepoContext, type RouteTable, intParam } from "./route.ts";
import { BOT_LOGIN, commentJson, paginate, reactionJson } from "./shapes.ts";
import type { CommentRecord } from "./state.ts";

export const issueRoutes: RouteTable = {
  "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": {
    auth: "token",
    handle: ({ world, repo, params, body }) => {
      const issueNumber = requireInt(params, "issue_number");
      const now = world.state.now();
      const comment: CommentRecord = {
        id: world.state.nextId(),
        repoId: repo.id,
        issueNumber,
        body: String(body.body),
        user: BOT_LOGIN,
        createdAt: now,
        updatedAt: now,
        updatedCount: 0,
      };
      world.state.comments.push(comment);
      return { status: 201, body: commentJson(world.state, repo, comment) };
    },
  },

  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments": {
    auth: "token",
    handle: ({ world, repo, params, query }) => {
      const issueNumber = requireInt(params, "issue_number");
      const all = world.state.comments.filter(
        (c) => c.repoId === repo.id && c.issueNumber === issueNumber,
      );
      const url = `${world.state.url}/api/v3/repos/${repo.owner}/${repo.name}/issues/${issueNumber}/comments`;
      const { page, headers } = paginate(all, query, url);
      return { status: 200, body: page.map((c) => commentJson(world.state, repo, c)), headers };
    },
  },

  "GET /repos/{owner}/{repo}/issues/comments/{comment_id}": {
    auth: "token",
    handle: (ctx) => {
      const comment = findComment(ctx);
      if (!comment) return { status: 404, body: notFound().body };
      return { status: 200, body: commentJson(ctx.world.state, ctx.repo, comment) };
    },
  },

  "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}": {
    auth: "token",
    handle: (ctx) => {
      const comment = findComment(ctx);
      if (!comment) throw notFound();
      comment.body = String(ctx.body.body);
      comment.updatedAt = ctx.world.state.now();
      comment.updatedCount += 1;
      return { status: 200, body: commentJson(ctx.world.state, ctx.repo, comment) };
    },
  },

  "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": {
    auth: "token",
    handle: (ctx) => {
      const { world, repo, body } = ctx;
      const comment = findComment(ctx);
      if (!comment) throw notFound();
      const content = String(body.content);
      const existing = world.state.reactions.find(
        (r) =>
          r.repoId === repo.id &&
          r.commentId === comment.id &&
          r.content === content &&
          r.user === BOT_LOGIN,
      );
      if (existing) return { status: 200, body: reactionJson(world.state, existing) };
      const reaction = {
        id: world.state.nextId(),
        repoId: repo.id,
        issueNumber: comment.issueNumber,
        commentId: comment.id,
        content,
        user: BOT_LOGIN,
        createdAt: world.state.now(),
      };
      world.state.reactions.push(reaction);
      return { status: 201, body: reactionJson(world.state, reaction) };
    },
  },

  "POST /repos/{owner}/{repo}/issues/{issue_number}/reactions": {
    auth: "token",
    handle: ({ world, repo, params, body }) => {
      const issueNumber = requireInt(params, "issue_number");
      const content = String(body.content);
      const existing = world.state.reactions.find(
        (r) =>
          r.repoId === repo.id &&
          r.issueNumber === issueNumber &&
          r.commentId === undefined &&
          r.content === content &&
          r.user === BOT_LOGIN,
      );
      // GitHub answers 200 with the existing reaction when the same user reacts twice.
      if (existing) return { status: 200, body: reactionJson(world.state, existing) };
      const reaction = {
        id: world.state.nextId(),
        repoId: repo.id,
        issueNumber,
        content,
        user: BOT_LOGIN,
        createdAt: world.state.now(),
      };
      world.state.reactions.push(reaction);
      return { status: 201, body: reactionJson(world.state, reaction) };
    },
  },
};

function requireInt(params: Record<string, string>, name: string): number {
  const value = intParam(params, name);
  if (value === undefined) throw notFound();
  return value;
}

function findComment({ world, repo, params }: RepoContext): CommentRecord | undefined {
  const id = intParam(params, "comment_id");
  return world.state.comments.find((c) => c.id === id && c.repoId === repo.id);
}
