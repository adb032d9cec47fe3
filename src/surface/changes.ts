// The files of the pull request's "What changed", by area: the files the
// run's commits changed between the base and the head, grouped by their top
// folder, with lines added and removed. Read from git, not the model (whose
// account of the change comes first: pull-body.ts).
import { runGit } from "../workspace/git.ts";

export interface Area {
  /** `src/`, or `(root)` for files at the top. */
  name: string;
  files: Array<{ path: string; added: number | null; removed: number | null }>;
}

const ROOT = "(root)";

export async function changesByArea(cwd: string, base: string, head: string): Promise<Area[]> {
  const range = `${base}..${head}`;
  const numstat = await runGit(["diff", "--numstat", "-z", "--no-renames", range], { cwd });
  const areas = new Map<string, Area>();
  const areaOf = (path: string): Area => {
    const slash = path.indexOf("/");
    const name = slash === -1 ? ROOT : `${path.slice(0, slash)}/`;
    let area = areas.get(name);
    if (!area) {
      area = { name, files: [] };
      areas.set(name, area);
    }
    return area;
  };
  // `added\tremoved\tpath\0`; binary files show `-`.
  for (const entry of numstat.stdout.split("\0")) {
    const match = /^(\d+|-)\t(\d+|-)\t(.+)$/s.exec(entry.trim());
    if (!match) continue;
    const [, added, removed, path] = match;
    areaOf(path!).files.push({
      path: path!,
      added: added === "-" ? null : Number(added),
      removed: removed === "-" ? null : Number(removed),
    });
  }
  return [...areas.values()].sort((a, b) => a.name.localeCompare(b.name));
}
