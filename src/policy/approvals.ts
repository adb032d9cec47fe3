// Approvals by policy: which part of a run's change (against the commit the
// run started from) needs a writer's approval before it is pushed: protected
// paths, deletions past the thresholds, dependency manifests when asked. Pure:
// the gate in src/runs/approvals.ts reads the change from git and asks here.
import { createHash } from "node:crypto";
import { DEPENDENCY_MANIFESTS } from "./approvals-config.ts";

/** The `approvals` config as parsed (src/policy/approvals-config.ts). */
export interface ApprovalPolicy {
  protected_paths: string[];
  max_deleted_files: number;
  max_deleted_lines: number;
  dependency_manifests: boolean;
}

/** One file of the change, as `git diff --raw --numstat` tells it. */
export interface ChangedFile {
  path: string;
  status: "added" | "modified" | "deleted";
  /** Lines removed from it; null for a binary file. */
  deletedLines: number | null;
  /** The file's blob after the change (null when deleted): what an approval is tied to. */
  blob: string | null;
}

/** What a change asks a writer: each part is empty (or null) when it asks nothing. */
export interface ApprovalHit {
  /** Changed files under a protected pattern, with the pattern that protects each. */
  protectedPaths: Array<{ path: string; pattern: string }>;
  /** Deletions past a threshold, with the counts and the thresholds. */
  deletions: {
    files: number;
    lines: number;
    maxFiles: number;
    maxLines: number;
    deleted: string[];
  } | null;
  /** Changed dependency manifests and lockfiles (only when `dependency_manifests` is on). */
  manifests: string[];
  /**
   * Ties a writer's approval to exactly this change: the hit files' contents and the deletion
   * counts. A later change that differs in any of them asks again.
   */
  fingerprint: string;
}

/** What of `files` needs approval under `policy`, or null when nothing does. */
export function checkChange(files: ChangedFile[], policy: ApprovalPolicy): ApprovalHit | null {
  const protectedPaths: ApprovalHit["protectedPaths"] = [];
  const manifests: string[] = [];
  for (const file of files) {
    const pattern = policy.protected_paths.find((p) => matchesPattern(p, file.path));
    if (pattern !== undefined) protectedPaths.push({ path: file.path, pattern });
    if (policy.dependency_manifests && isManifest(file.path)) manifests.push(file.path);
  }
  const deleted = files.filter((f) => f.status === "deleted").map((f) => f.path);
  const lines = files.reduce((sum, f) => sum + (f.deletedLines ?? 0), 0);
  const over = deleted.length > policy.max_deleted_files || lines > policy.max_deleted_lines;
  const deletions = over
    ? {
        files: deleted.length,
        lines,
        maxFiles: policy.max_deleted_files,
        maxLines: policy.max_deleted_lines,
        deleted,
      }
    : null;
  if (protectedPaths.length === 0 && manifests.length === 0 && deletions === null) return null;
  const blobOf = new Map(files.map((f) => [f.path, f.blob]));
  const tied = [...new Set([...protectedPaths.map((p) => p.path), ...manifests])]
    .sort()
    .map((path) => [path, blobOf.get(path) ?? null]);
  const fingerprint = createHash("sha256")
    .update(
      JSON.stringify({
        tied,
        deletions: deletions && { files: [...deleted].sort(), lines },
      }),
    )
    .digest("hex");
  return { protectedPaths, deletions, manifests, fingerprint };
}

/**
 * A path pattern as `protected_paths` documents it: from the repository root, `*` within one
 * folder, `**` across folders (`a/**` is everything under `a`), `?` one character. A pattern
 * with no `/` matches that name in any folder, as `.gitignore` does.
 */
export function matchesPattern(pattern: string, path: string): boolean {
  const rooted = pattern.replace(/^\/+/, "");
  const anywhere = !rooted.includes("/");
  const source = rooted
    .split(/(\*\*\/|\/\*\*$|\*\*|\*|\?)/)
    .map((part) => {
      if (part === "**/") return "(?:.*/)?";
      if (part === "/**") return "/.*";
      if (part === "**") return ".*";
      if (part === "*") return "[^/]*";
      if (part === "?") return "[^/]";
      return part.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    })
    .join("");
  return new RegExp(`^${anywhere ? "(?:.*/)?" : ""}${source}$`).test(path);
}

function isManifest(path: string): boolean {
  const name = path.slice(path.lastIndexOf("/") + 1);
  return DEPENDENCY_MANIFESTS.some((pattern) => matchesPattern(pattern, name));
}

/** The hit in words, for the comment and the audit log: what is asked, file by file. */
export function describeHit(hit: ApprovalHit): string[] {
  const lines: string[] = [];
  const list = (paths: string[]) =>
    paths
      .slice(0, 30)
      .map((p) => `\`${p}\``)
      .join(", ") + (paths.length > 30 ? ` and ${paths.length - 30} more` : "");
  const byPattern = new Map<string, string[]>();
  for (const { path, pattern } of hit.protectedPaths) {
    byPattern.set(pattern, [...(byPattern.get(pattern) ?? []), path]);
  }
  for (const [pattern, paths] of byPattern) {
    lines.push(
      `changes ${paths.length === 1 ? "a protected file" : `${paths.length} protected files`} (\`${pattern}\`): ${list(paths)}`,
    );
  }
  if (hit.deletions) {
    const d = hit.deletions;
    const parts = [
      `deletes ${count(d.files, "file")} (the limit is ${d.maxFiles.toLocaleString("en-US")})`,
      `removes ${count(d.lines, "line")} (the limit is ${d.maxLines.toLocaleString("en-US")})`,
    ];
    lines.push(
      `${parts.join(" and ")}${d.deleted.length > 0 ? `; deleted: ${list(d.deleted)}` : ""}`,
    );
  }
  if (hit.manifests.length > 0) {
    lines.push(
      `changes dependency ${hit.manifests.length === 1 ? "manifest" : "manifests"}: ${list(hit.manifests)}`,
    );
  }
  return lines;
}

function count(n: number, noun: string): string {
  return `${n.toLocaleString("en-US")} ${noun}${n === 1 ? "" : "s"}`;
}
