// What changed, by area, for the pull request: the files the run's commits
// changed between the base and the head, grouped by their top folder, with
// lines added and removed, and the why from the commit subjects that touched
// each area (the model's checkpoint messages). Read from git, not the model.
import { runGit } from "../workspace/git.ts";

export interface Area {
  /** `src/`, or `(root)` for files at the top. */
  name: string;
  files: Array<{ path: string; added: number | null; removed: number | null }>;
  /** Subjects of the commits that touched the area, oldest first, without repeats. */
  why: string[];
}

const ROOT = "(root)";

export async function changesByArea(cwd: string, base: string, head: string): Promise<Area[]> {
  const range = `${base}..${head}`;
  const [numstat, log] = await Promise.all([
    runGit(["diff", "--numstat", "-z", "--no-renames", range], { cwd }),
    runGit(["log", "--reverse", "--format=%x01%s", "--name-only", "-z", range], { cwd }),
  ]);
  const areas = new Map<string, Area>();
  const areaOf = (path: string): Area => {
    const slash = path.indexOf("/");
    const name = slash === -1 ? ROOT : `${path.slice(0, slash)}/`;
    let area = areas.get(name);
    if (!area) {
      area = { name, files: [], why: [] };
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
  for (const commit of log.stdout.split("\x01").slice(1)) {
    const [subject = "", ...paths] = commit.split(/\n|\0/).filter((p) => p.trim() !== "");
    for (const path of paths) {
      const area = areas.get(areaName(path));
      if (area && !area.why.includes(subject)) area.why.push(subject);
    }
  }
  return [...areas.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function areaName(path: string): string {
  const slash = path.indexOf("/");
  return slash === -1 ? ROOT : `${path.slice(0, slash)}/`;
}
