// The scan before every push: each blob any commit of the push adds or
// changes, read as the bytes it is (pushed-blobs.ts), checked by content-scan.ts;
// and each gitlink (submodule entry) the push adds, which is refused unless the
// base already had one at that path. What is found blocks the push, named by
// file, line and rule, never by value; the audit's `git.secret_scan` says the same.
import type { AuditSink } from "../agent/ports.ts";
import { dedupe, scanContent, type LocateHeld } from "../policy/content-scan.ts";
import { describeFindings, type SecretFinding } from "../policy/secret-scan.ts";
import { runGit } from "../workspace/git.ts";
import { pushedObjects, readBlobs, type PushedGitlink } from "../workspace/pushed-blobs.ts";
import { RunFailure } from "./failure.ts";

/** The most of one blob that is read and scanned; a larger one is scanned this far and said so. */
const SCAN_MAX_BYTES = 5 * 1024 * 1024;

export interface PushScanTarget {
  worktree: string;
  audit: AuditSink;
  /** The run's redactor, to find its own secrets (tokens, keys) in any form it knows. */
  redactor?: { locate: LocateHeld };
}

interface PushScan {
  findings: SecretFinding[];
  /** Gitlinks the push adds where the base had none. */
  gitlinks: PushedGitlink[];
  /** Paths of blobs larger than SCAN_MAX_BYTES: only their first bytes were scanned. */
  partly: string[];
  /** Paths of blobs not in the repository here, so not scanned. */
  unread: string[];
}

/** What the commits of `since..HEAD` would push that looks like a secret, or is a new gitlink. */
async function scanPush(
  target: PushScanTarget,
  since: string,
  signal?: AbortSignal,
): Promise<PushScan> {
  const { blobs, gitlinks } = await pushedObjects(target.worktree, since, "HEAD", signal);
  const contents = await readBlobs(
    target.worktree,
    blobs.map((b) => b.id),
    SCAN_MAX_BYTES,
    signal,
  );
  const findings: SecretFinding[] = [];
  const [partly, unread]: [string[], string[]] = [[], []];
  for (const blob of blobs) {
    const read = contents.get(blob.id);
    if (read?.content == null) {
      unread.push(blob.path);
      continue;
    }
    if (read.truncated) partly.push(blob.path);
    findings.push(...(await scanContent(blob.path, read.content, target.redactor?.locate)));
  }
  return {
    findings: dedupe(findings),
    gitlinks: gitlinks.filter((g) => !g.inBase),
    partly,
    unread,
  };
}

/**
 * Blocks the push when a commit adds something that looks like a secret or a new gitlink, and
 * undoes the commits (their changes stay in the working tree), so the next milestone can push
 * without it.
 */
export async function scanBeforePush(
  target: PushScanTarget,
  since: string,
  signal: AbortSignal,
): Promise<void> {
  const scan = await scanPush(target, since, signal);
  const blocked = scan.findings.length > 0 || scan.gitlinks.length > 0 || scan.unread.length > 0;
  await target.audit.record("git.secret_scan", {
    since,
    result: blocked ? "blocked" : "clean",
    findings: scan.findings.map(({ path, line, kind }) => ({ path, line, kind })),
    ...(scan.gitlinks.length > 0 ? { gitlinks: scan.gitlinks.map((g) => g.path) } : {}),
    ...(scan.partly.length > 0 ? { scannedInPart: scan.partly } : {}),
    ...(scan.unread.length > 0 ? { notScanned: scan.unread } : {}),
  });
  if (!blocked) return;
  await runGit(["reset", "--quiet", "--soft", since], { cwd: target.worktree });
  throw new RunFailure(refusal(scan));
}

function refusal(scan: PushScan): string {
  const said: string[] = [];
  if (scan.findings.length > 0) {
    said.push(
      `the change adds what looks like a secret (${describeFindings(scan.findings)}), so Stamina did not push it. Secrets belong in the repository's secret store or an environment variable, not in the code.`,
    );
  }
  if (scan.gitlinks.length > 0) {
    const paths = scan.gitlinks.map((g) => `\`${g.path}\``).join(", ");
    said.push(
      `the change adds a submodule entry (gitlink) at ${paths}, where the base branch has none, so Stamina did not push it: what a submodule points to is not scanned and can change under the pull request. To add a submodule, a maintainer adds it by hand on the base branch; Stamina may then move it.`,
    );
  }
  if (scan.unread.length > 0) {
    said.push(
      `Stamina could not read ${scan.unread.map((p) => `\`${p}\``).join(", ")} to scan it for secrets, so it did not push the change.`,
    );
  }
  return said.join(" And ");
}
