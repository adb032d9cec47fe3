// REST routes on pull requests: create (with GitHub's 422s for a missing head or base, an
// existing pull request, or no commits between), list with filters, read and update.
import { branchSha, commitsAhead } from "./git.ts";
import { HttpError, notFound, validationFailed } from "./http-io.ts";
import { type RepoContext, type Reply, type RouteTable, intParam } from "./route.ts";
import { paginate, pullJson } from "./shapes.ts";
import type { PullRecord, RepoRecord } from "./state.ts";

export const pullRoutes: RouteTable = {
  "POST /repos/{owner}/{repo}/pulls": { auth: "token", handle: createPull },
  "GET /repos/{owner}/{repo}/pulls": { auth: "token", handle: listPulls },
  "GET /repos/{owner}/{repo}/pulls/{pull_number}": {
    auth: "token",
    handle: async (ctx) => {
      const pull = findPull(ctx);
      if (!pull) return { status: 404, body: notFound().body };
      return { status: 200, body: await render(ctx, pull) };
    },
  },
  "PATCH /repos/{owner}/{repo}/pulls/{pull_number}": { auth: "token", handle: updatePull },
};

const str = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);

/** `owner:branch` or `branch`; a different owner would be a fork, which the fake does not have. */
function headBranch(repo: RepoRecord, head: string): string | undefined {
  const colon = head.indexOf(":");
  if (colon < 0) return head;
  return head.slice(0, colon).toLowerCase() === repo.owner.toLowerCase()
    ? head.slice(colon + 1)
    : undefined;
}

async function createPull(ctx: RepoContext): Promise<Reply> {
  const { world, repo, body } = ctx;
  if (body.issue !== undefined) {
    throw new HttpError(501, {
      message: "fake GitHub does not implement turning an issue into a pull request",
    });
  }
  const title = str(body.title);
  if (!title)
    throw validationFailed([{ resource: "PullRequest", field: "title", code: "missing_field" }]);
  const head = headBranch(repo, str(body.head) ?? "");
  const base = str(body.base) ?? "";
  const headSha = head === undefined ? undefined : await branchSha(world.git, repo.barePath, head);
  if (head === undefined || !headSha) {
    throw validationFailed([{ resource: "PullRequest", field: "head", code: "invalid" }]);
  }
  if (!(await branchSha(world.git, repo.barePath, base))) {
    throw validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
  }
  assertNoOpenDuplicate(world.state.pulls, repo, head, base);
  if (head === base || (await commitsAhead(world.git, repo.barePath, base, head)) === 0) {
    throw validationFailed([
      {
        resource: "PullRequest",
        code: "custom",
        message: `No commits between ${base} and ${head}`,
      },
    ]);
  }
  const now = world.state.now();
  const pull: PullRecord = {
    id: world.state.nextId(),
    repoId: repo.id,
    number: world.state.nextPullNumber(repo.id),
    title,
    body: str(body.body) ?? "",
    head,
    base,
    draft: body.draft === true,
    state: "open",
    createdAt: now,
    updatedAt: now,
  };
  world.state.pulls.push(pull);
  return { status: 201, body: await render(ctx, pull) };
}

function assertNoOpenDuplicate(
  pulls: PullRecord[],
  repo: RepoRecord,
  head: string,
  base: string,
  except?: PullRecord,
): void {
  const duplicate = pulls.find(
    (p) =>
      p !== except &&
      p.repoId === repo.id &&
      p.state === "open" &&
      p.head === head &&
      p.base === base,
  );
  if (duplicate) {
    throw validationFailed([
      {
        resource: "PullRequest",
        code: "custom",
        message: `A pull request already exists for ${repo.owner}:${head}.`,
      },
    ]);
  }
}

async function listPulls(ctx: RepoContext): Promise<Reply> {
  const { world, repo, query } = ctx;
  const state = query.state ?? "open";
  // GitHub filters by head only in the `owner:branch` form.
  const head = query.head?.includes(":") ? query.head : undefined;
  const matches = world.state.pulls
    .filter((p) => p.repoId === repo.id)
    .filter((p) => state === "all" || p.state === state)
    .filter(
      (p) => head === undefined || `${repo.owner}:${p.head}`.toLowerCase() === head.toLowerCase(),
    )
    .filter((p) => query.base === undefined || p.base === query.base)
    .sort((a, b) => (query.direction === "asc" ? a.number - b.number : b.number - a.number));
  const url = `${world.state.url}/api/v3/repos/${repo.owner}/${repo.name}/pulls`;
  const { page, headers } = paginate(matches, query, url);
  const body = await Promise.all(page.map((p) => render(ctx, p)));
  return { status: 200, body, headers };
}

async function updatePull(ctx: RepoContext): Promise<Reply> {
  const { world, repo, body } = ctx;
  const pull = findPull(ctx);
  if (!pull) throw notFound();
  const base = str(body.base);
  if (base !== undefined && !(await branchSha(world.git, repo.barePath, base))) {
    throw validationFailed([{ resource: "PullRequest", field: "base", code: "invalid" }]);
  }
  const state = body.state === "open" || body.state === "closed" ? body.state : pull.state;
  if (state === "open" && pull.state === "closed") {
    assertNoOpenDuplicate(world.state.pulls, repo, pull.head, base ?? pull.base, pull);
  }
  pull.title = str(body.title) ?? pull.title;
  pull.body = str(body.body) ?? pull.body;
  pull.base = base ?? pull.base;
  pull.state = state;
  pull.updatedAt = world.state.now();
  return { status: 200, body: await render(ctx, pull) };
}

function findPull({ world, repo, params }: RepoContext): PullRecord | undefined {
  const number = intParam(params, "pull_number");
  return world.state.pulls.find((p) => p.repoId === repo.id && p.number === number);
}

/** Branch tips are read at answer time, so pushes to the head branch show up as on GitHub. */
async function render(
  { world, repo }: RepoContext,
  pull: PullRecord,
): Promise<Record<string, unknown>> {
  const [head, base] = await Promise.all([
    branchSha(world.git, repo.barePath, pull.head),
    branchSha(world.git, repo.barePath, pull.base),
  ]);
  return pullJson(world.state, repo, pull, { head: head ?? "", base: base ?? "" });
}
