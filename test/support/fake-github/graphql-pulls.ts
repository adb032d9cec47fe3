// The GraphQL mutations that move a pull request between draft and ready for review (REST has
// no way to): markPullRequestReadyForReview and convertPullRequestToDraft, on the fake's pulls,
// for an installation that may act on the pull request's repository.
import { holds, notAccessible, reaches } from "./grants.ts";
import type { GraphQLEndpoint } from "./graphql.ts";
import type { FakeState, PullRecord } from "./state.ts";
import type { GraphQLContext } from "./types.ts";

export function registerPullMutations(graphql: GraphQLEndpoint, state: FakeState): void {
  const toggle = (field: string, draft: boolean) =>
    graphql.register(new RegExp(`\\b${field}\\b`), (variables, _query, context) => {
      const pull = pullOf(state, variables, context);
      pull.draft = draft;
      pull.updatedAt = state.now();
      return {
        [field]: { pullRequest: { id: nodeIdOf(pull), number: pull.number, isDraft: draft } },
      };
    });
  toggle("markPullRequestReadyForReview", false);
  toggle("convertPullRequestToDraft", true);
}

function nodeIdOf(pull: PullRecord): string {
  return Buffer.from(`PR_${pull.id}`).toString("base64");
}

/** The pull request whose node id one of the variables holds (`id`, or `input.pullRequestId`). */
function pullOf(
  state: FakeState,
  variables: Record<string, unknown>,
  context: GraphQLContext,
): PullRecord {
  const candidates = Object.values(variables).flatMap((v): unknown[] =>
    typeof v === "object" && v !== null ? Object.values(v as Record<string, unknown>) : [v],
  );
  for (const value of candidates) {
    if (typeof value !== "string") continue;
    const match = /^PR_(\d+)$/.exec(Buffer.from(value, "base64").toString("utf8"));
    const pull = match && state.pulls.find((p) => p.id === Number(match[1]));
    if (!pull) continue;
    const repo = [...state.reposList()].find((r) => r.id === pull.repoId);
    if (!repo || !reaches(context.token, repo)) break;
    if (!holds(context.token, [["pull_requests", "write"]])) throw notAccessible();
    return pull;
  }
  throw new Error("Could not resolve to a node with the global id given.");
}
