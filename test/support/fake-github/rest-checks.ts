// REST routes on check runs: create on a commit the repository has, update, read, and list a
// commit's check runs (by name, by app). GitHub's limits hold: output.summary and output.text at
// most 65,535 characters, a title with any output, a conclusion once completed.
import { HttpError, notFound, validationFailed } from "./http-io.ts";
import { type RepoContext, type Reply, type RouteTable, intParam } from "./route.ts";
import { checkRunJson, paginate } from "./shapes.ts";
import type { CheckRunRecord } from "./state.ts";

const OUTPUT_LIMIT = 65_535;
const CONCLUSIONS = new Set([
  "action_required",
  "cancelled",
  "failure",
  "neutral",
  "success",
  "skipped",
  "timed_out",
]);

export const checkRoutes: RouteTable = {
  "POST /repos/{owner}/{repo}/check-runs": { auth: "token", handle: createCheckRun },
  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": {
    auth: "token",
    handle: updateCheckRun,
  },
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}": {
    auth: "token",
    handle: (ctx) => {
      const run = findCheckRun(ctx);
      if (!run) return { status: 404, body: notFound().body };
      return { status: 200, body: checkRunJson(ctx.world.state, ctx.repo, run) };
    },
  },
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs": {
    auth: "token",
    handle: async (ctx) => {
      const { world, repo, params, query } = ctx;
      const sha = await resolveCommit(ctx, params.ref ?? "");
      if (!sha) throw new HttpError(422, { message: `No commit found for SHA: ${params.ref}` });
      const all = world.state.checkRuns
        .filter((c) => c.repoId === repo.id && c.headSha === sha)
        .filter((c) => query.check_name === undefined || c.name === query.check_name)
        .filter((c) => query.status === undefined || c.status === query.status)
        .sort((a, b) => b.id - a.id);
      const url = `${world.state.url}/api/v3/repos/${repo.owner}/${repo.name}/commits/${params.ref}/check-runs`;
      const { page, headers } = paginate(all, query, url);
      return {
        status: 200,
        headers,
        body: {
          total_count: all.length,
          check_runs: page.map((c) => checkRunJson(world.state, repo, c)),
        },
      };
    },
  },
};

async function createCheckRun(ctx: RepoContext): Promise<Reply> {
  const { world, repo, body } = ctx;
  const name = typeof body.name === "string" ? body.name : "";
  if (name === "")
    throw validationFailed([{ resource: "CheckRun", field: "name", code: "missing_field" }]);
  const headSha = await resolveCommit(ctx, typeof body.head_sha === "string" ? body.head_sha : "");
  if (!headSha || headSha !== body.head_sha) {
    throw validationFailed([{ resource: "CheckRun", field: "head_sha", code: "invalid" }]);
  }
  const now = world.state.now();
  const run: CheckRunRecord = {
    id: world.state.nextId(),
    repoId: repo.id,
    name,
    headSha,
    externalId: typeof body.external_id === "string" ? body.external_id : "",
    status: "queued",
    conclusion: null,
    title: null,
    summary: null,
    text: null,
    startedAt: now,
    completedAt: null,
    updatedCount: 0,
  };
  apply(run, body, now);
  world.state.checkRuns.push(run);
  return { status: 201, body: checkRunJson(world.state, repo, run) };
}

function updateCheckRun(ctx: RepoContext): Reply {
  const run = findCheckRun(ctx);
  if (!run) throw notFound();
  const next = { ...run };
  apply(next, ctx.body, ctx.world.state.now());
  Object.assign(run, next, { updatedCount: run.updatedCount + 1 });
  return { status: 200, body: checkRunJson(ctx.world.state, ctx.repo, run) };
}

/** Applies a create or update body, refusing what GitHub refuses; `run` is left as it was on a throw. */
function apply(run: CheckRunRecord, body: Record<string, unknown>, now: number): void {
  const draft = { ...run };
  if (typeof body.name === "string") draft.name = body.name;
  if (typeof body.external_id === "string") draft.externalId = body.external_id;
  if (body.status === "queued" || body.status === "in_progress" || body.status === "completed") {
    draft.status = body.status;
  }
  if (body.conclusion !== undefined) {
    if (typeof body.conclusion !== "string" || !CONCLUSIONS.has(body.conclusion)) {
      throw validationFailed([{ resource: "CheckRun", field: "conclusion", code: "invalid" }]);
    }
    draft.conclusion = body.conclusion;
    draft.status = "completed";
  }
  if (draft.status === "completed" && draft.conclusion === null) {
    throw validationFailed([
      {
        resource: "CheckRun",
        field: "conclusion",
        code: "missing_field",
        message: "conclusion is required when status is completed",
      },
    ]);
  }
  if (draft.status === "completed" && draft.completedAt === null) draft.completedAt = now;
  if (body.output !== undefined) {
    const output = body.output as Record<string, unknown>;
    const field = (name: string): string | null => {
      const value = output[name];
      if (value === undefined) return null;
      if (typeof value !== "string") {
        throw validationFailed([
          { resource: "CheckRun", field: `output.${name}`, code: "invalid" },
        ]);
      }
      // GitHub counts characters (code points), not UTF-16 units.
      if ([...value].length > OUTPUT_LIMIT) {
        throw validationFailed([
          {
            resource: "CheckRun",
            field: `output.${name}`,
            code: "custom",
            message: `Only ${OUTPUT_LIMIT} characters are allowed; ${[...value].length} were supplied.`,
          },
        ]);
      }
      return value;
    };
    const title = field("title");
    const summary = field("summary");
    if (title === null || summary === null) {
      throw validationFailed([
        {
          resource: "CheckRun",
          field: "output",
          code: "missing_field",
          message: "title and summary are required",
        },
      ]);
    }
    draft.title = title;
    draft.summary = summary;
    draft.text = field("text");
  }
  Object.assign(run, draft);
}

function findCheckRun({ world, repo, params }: RepoContext): CheckRunRecord | undefined {
  const id = intParam(params, "check_run_id");
  return world.state.checkRuns.find((c) => c.id === id && c.repoId === repo.id);
}

/** A full sha of a commit in the repository, or a branch name, to the commit's sha. */
async function resolveCommit(
  { world, repo }: RepoContext,
  ref: string,
): Promise<string | undefined> {
  if (!/^[\w./-]+$/.test(ref) || ref.startsWith("-")) return undefined;
  try {
    const out = await world.git.run(
      ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`],
      repo.barePath,
    );
    return out.trim() || undefined;
  } catch {
    return undefined;
  }
}
