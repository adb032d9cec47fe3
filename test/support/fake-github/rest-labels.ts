// REST routes on labels: a repository's labels (read one, create one, GitHub's 422 for a name
// taken) and an issue's (list, add, remove; a label the repository lacks is created on add, as
// GitHub does).
import { HttpError, notFound, validationFailed } from "./http-io.ts";
import type { RepoContext, RouteTable } from "./route.ts";
import { labelJson } from "./shapes.ts";
import type { LabelRecord } from "./state.ts";

export const labelRoutes: RouteTable = {
  "GET /repos/{owner}/{repo}/labels/{name}": {
    auth: "token",
    handle: ({ world, repo, params }) => {
      const label = world.state.label(repo.id, params.name ?? "");
      if (!label) return { status: 404, body: notFound().body };
      return { status: 200, body: labelJson(world.state, repo, label) };
    },
  },
  "POST /repos/{owner}/{repo}/labels": {
    auth: "token",
    handle: ({ world, repo, body }) => {
      const name = typeof body.name === "string" ? body.name : "";
      if (world.state.label(repo.id, name)) {
        throw validationFailed([{ resource: "Label", field: "name", code: "already_exists" }]);
      }
      const label = world.state.addLabel(repo.id, {
        name,
        color: typeof body.color === "string" ? body.color.replace(/^#/, "") : "ededed",
        description: typeof body.description === "string" ? body.description : null,
      });
      return { status: 201, body: labelJson(world.state, repo, label) };
    },
  },
  "GET /repos/{owner}/{repo}/issues/{issue_number}/labels": {
    auth: "token",
    handle: (ctx) => ({ status: 200, body: issueLabels(ctx) }),
  },
  "POST /repos/{owner}/{repo}/issues/{issue_number}/labels": {
    auth: "token",
    handle: (ctx) => {
      const { world, repo, body } = ctx;
      const names = Array.isArray(body.labels) ? body.labels : [];
      const on = world.state.issueLabels(repo.id, issueNumber(ctx));
      for (const item of names) {
        const name = typeof item === "string" ? item : String((item as { name?: unknown }).name);
        const label =
          world.state.label(repo.id, name) ??
          world.state.addLabel(repo.id, { name, color: "ededed", description: null });
        if (!on.includes(label.name)) on.push(label.name);
      }
      return { status: 200, body: issueLabels(ctx) };
    },
  },
  "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}": {
    auth: "token",
    handle: (ctx) => {
      const on = ctx.world.state.issueLabels(ctx.repo.id, issueNumber(ctx));
      const at = on.findIndex((n) => n.toLowerCase() === (ctx.params.name ?? "").toLowerCase());
      if (at < 0) throw new HttpError(404, { message: "Label does not exist" });
      on.splice(at, 1);
      return { status: 200, body: issueLabels(ctx) };
    },
  },
};

function issueNumber({ params }: RepoContext): number {
  const raw = params.issue_number ?? "";
  if (!/^\d+$/.test(raw)) throw notFound();
  return Number(raw);
}

function issueLabels(ctx: RepoContext): Array<Record<string, unknown>> {
  const { world, repo } = ctx;
  return world.state
    .issueLabels(repo.id, issueNumber(ctx))
    .map((name) => world.state.label(repo.id, name))
    .filter((l): l is LabelRecord => l !== undefined)
    .map((l) => labelJson(world.state, repo, l));
}
