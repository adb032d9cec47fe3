// What a push sends, as git objects rather than as a rendered diff: every blob
// that any commit in `since..head` adds or changes (a secret added in one
// commit and removed in the next is still in the history pushed), and every
// gitlink (submodule entry). Blobs are read by id with `cat-file --batch`,
// which runs no filter, textconv or diff driver: a file marked `-diff` or
// holding a NUL byte is read as the bytes it is.
import { assertSafeRepoConfig } from "./git-config-guard.ts";
import { runGit, streamGit } from "./git-run.ts";

/** One blob a push sends, under the first path a commit gave it. */
interface PushedBlob {
  id: string;
  path: string;
}

/** A gitlink (mode 160000) a commit of the push adds or changes. */
export interface PushedGitlink {
  path: string;
  commit: string;
  /** The base already had a gitlink at this path. */
  inBase: boolean;
}

export interface PushedObjects {
  blobs: PushedBlob[];
  gitlinks: PushedGitlink[];
}

/** A blob's first bytes (all of them unless `truncated`); null content when it is not here. */
export interface BlobContent {
  content: Buffer | null;
  size: number;
  truncated: boolean;
}

const GITLINK = "160000";

/** The blobs and gitlinks the commits in `since..head` add or change, each blob once. */
export async function pushedObjects(
  cwd: string,
  since: string,
  head: string,
  signal?: AbortSignal,
): Promise<PushedObjects> {
  await assertSafeRepoConfig(cwd, signal);
  const list = await runGit(["rev-list", "--reverse", `${since}..${head}`, "--"], { cwd, signal });
  const blobs = new Map<string, PushedBlob>();
  const links = new Map<string, string>();
  for (const commit of list.stdout.split("\n").filter((c) => c !== "")) {
    // `-m`: a merge against each parent, so nothing a merge brings in goes unseen.
    const args = ["diff-tree", "-r", "-z", "-m", "--root", "--no-renames", "--no-commit-id"];
    const { stdout } = await runGit([...args, "--no-ext-diff", commit], { cwd, signal });
    for (const entry of rawEntries(stdout)) {
      if (entry.status === "D") continue;
      if (entry.mode === GITLINK) links.set(entry.path, entry.id);
      else if (!blobs.has(entry.id)) blobs.set(entry.id, { id: entry.id, path: entry.path });
    }
  }
  const gitlinks: PushedGitlink[] = [];
  for (const [path, commit] of links) {
    gitlinks.push({ path, commit, inBase: await gitlinkAt(cwd, since, path, signal) });
  }
  return { blobs: [...blobs.values()], gitlinks };
}

/**
 * The blobs' contents, by id, in one `cat-file --batch`: at most `maxBytes` of each kept (the
 * rest is read past, never held), so one huge file cannot take the harness's memory.
 */
export async function readBlobs(
  cwd: string,
  ids: string[],
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Map<string, BlobContent>> {
  const out = new Map<string, BlobContent>();
  if (ids.length === 0) return out;
  const parser = batchParser(maxBytes, (id, blob) => out.set(id, blob));
  const input = Buffer.from(ids.map((id) => `${id}\n`).join(""));
  await streamGit(["cat-file", "--batch"], { cwd, signal }, input, parser);
  return out;
}

interface RawEntry {
  mode: string;
  id: string;
  status: string;
  path: string;
}

/** `git diff-tree -r -z` raw output: `:old new oldid newid status\0path\0`. */
function rawEntries(raw: string): RawEntry[] {
  const parts = raw.split("\0");
  const entries: RawEntry[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const meta = (parts[i] ?? "").split(" ");
    const path = parts[i + 1] ?? "";
    if (!(meta[0] ?? "").startsWith(":") || meta.length < 5) continue;
    entries.push({ mode: meta[1] ?? "", id: meta[3] ?? "", status: meta[4] ?? "", path });
  }
  return entries;
}

async function gitlinkAt(cwd: string, rev: string, path: string, signal?: AbortSignal) {
  const { stdout } = await runGit(["ls-tree", "-z", rev, "--", path], { cwd, signal });
  return stdout
    .split("\0")
    .some((line) => line.startsWith(`${GITLINK} commit `) && line.endsWith(`\t${path}`));
}

/**
 * A stream parser for `cat-file --batch` output: `<id> <type> <size>\n<bytes>\n` per object,
 * or `<id> missing\n`.
 */
export function batchParser(
  maxBytes: number,
  done: (id: string, blob: BlobContent, type: string) => void,
): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  let current: {
    id: string;
    type: string;
    size: number;
    kept: Buffer[];
    keptBytes: number;
    seen: number;
  } | null = null;
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (;;) {
      if (current === null) {
        const eol = pending.indexOf(0x0a);
        if (eol < 0) return;
        const [id = "", type = "", size = ""] = pending
          .subarray(0, eol)
          .toString("utf8")
          .split(" ");
        pending = pending.subarray(eol + 1);
        if (type === "missing" || size === "") {
          done(id, { content: null, size: 0, truncated: false }, "missing");
          continue;
        }
        current = { id, type, size: Number(size), kept: [], keptBytes: 0, seen: 0 };
      }
      // The object's bytes and the newline after them.
      const want = current.size + 1 - current.seen;
      const take = pending.subarray(0, Math.min(want, pending.length));
      pending = pending.subarray(take.length);
      const body = take.subarray(
        0,
        Math.max(0, Math.min(take.length, current.size - current.seen)),
      );
      const room = maxBytes - current.keptBytes;
      if (room > 0 && body.length > 0) {
        const kept = body.subarray(0, room);
        current.kept.push(Buffer.from(kept));
        current.keptBytes += kept.length;
      }
      current.seen += take.length;
      if (current.seen < current.size + 1) return;
      const content = Buffer.concat(current.kept);
      const blob = { content, size: current.size, truncated: current.size > maxBytes };
      done(current.id, blob, current.type);
      current = null;
    }
  };
}
