// Whether a pull request's branch lives in a fork: Stamina is installed on the
// base repository and pushes only to branches it creates there.

export interface PullSides {
  head: { ref: string; repo: { full_name: string } | null };
  base: { repo: { full_name: string } };
}

/** The fork holding the pull request's branch ("a fork that was deleted"), or null when it is here. */
export function forkOf(pull: PullSides): string | null {
  const head = pull.head.repo?.full_name;
  if (head === undefined) return "a fork that was deleted";
  return head.toLowerCase() === pull.base.repo.full_name.toLowerCase() ? null : head;
}

/** What Stamina says about such a pull request, for the people reading it. */
export function cannotPushToFork(branch: string, fork: string, deleted: boolean): string {
  const where = deleted ? fork : `the fork \`${fork}\``;
  return `its branch \`${branch}\` is in ${where}, and Stamina pushes only to branches it creates in this repository`;
}
