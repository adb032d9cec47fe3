// Branch names for runs: `stamina/<issue>-<slug>`, readable, ASCII and always
// a valid ref name whatever the issue title holds.

const MAX_SLUG = 40;

export function branchSlug(issueNumber: number, title: string): string {
  if (!Number.isSafeInteger(issueNumber) || issueNumber <= 0) {
    throw new RangeError(`An issue number is a positive integer, not ${issueNumber}.`);
  }
  return `stamina/${issueNumber}-${slugOf(title) || "issue"}`;
}

/**
 * `wanted`, or the first of `wanted-2`, `wanted-3`… that is not taken: a branch that exists
 * on GitHub was not made by this run, so the run never takes it over.
 */
export function freeBranchName(wanted: string, taken: ReadonlySet<string>): string {
  if (!taken.has(wanted)) return wanted;
  for (let n = 2; ; n++) {
    const candidate = `${wanted}-${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** A few words of `title` as lowercase ASCII joined by dashes; empty when none are left. */
export function slugOf(title: string): string {
  const words = title
    .normalize("NFKD")
    // Accents become their base letters; everything else outside [a-z0-9] separates words.
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
  let slug = "";
  for (const word of words) {
    const next = slug === "" ? word : `${slug}-${word}`;
    if (next.length > MAX_SLUG) {
      // A single long first word is cut rather than dropped.
      if (slug === "") slug = word.slice(0, MAX_SLUG);
      break;
    }
    slug = next;
  }
  return slug;
}
