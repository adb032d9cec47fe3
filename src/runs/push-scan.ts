// The scan before every push: each blob any commit of the push adds or
// changes, read as the bytes it is (pushed-blobs.ts), checked by content-scan.ts;
// and each gitlink (submodule entry) the push adds, which is refused unless the
// base already had one at that path. What is found blocks the push, named by
// file, line and rule, never by value; the audit's `git.secret_scan` says the same.
import { createHash } from "node:crypto";
import type { AuditSink, PauseRequest } from "../agent/ports.ts";
import { dedupe, scanContent, type LocateHeld } from "../policy/content-scan.ts";
import { describeFindings, ruleName, type SecretFinding } from "../policy/secret-scan.ts";
import { currentHead, runGit } from "../workspace/git.ts";
import { pushedObjects, readBlobs, type PushedGitlink } from "../workspace/pushed-blobs.ts";
import type { Store } from "../store/store.ts";
import type { ApprovalGate } from "./approval-gate.ts";
import { RunFailure } from "./failure.ts";

/** The most of one blob that is read and scanned; a larger one is scanned this far and said so. */
const SCAN_MAX_BYTES = 5 * 1024 * 1024;

export interface PushScanTarget {
  worktree: string;
  audit: AuditSink;
  /** The run's redactor, to find its own secrets (tokens, keys) in any form it knows. */
  redactor?: { locate: LocateHeld };
}

/** A finding with the blob it is in: what a writer's approval is bound to. */
type BlobFinding = SecretFinding & { blob: string };

interface PushScan {
  findings: SecretFinding[];
  /** The findings' blobs and rules (each blob, also one deduplicated away), as one value. */
  fingerprint: string;
  /** Gitlinks the push adds where the base had none. */
  gitlinks: PushedGitlink[];
  /** Paths of blobs larger than SCAN_MAX_BYTES: only their first bytes were scanned. */
  partly: string[];
  /** Paths of blobs not in the repository here, so not scanned. */
  unread: string[];
}

/**
 * Recent scans by worktree, range and head commit: a milestone's commit is scanned by the secret
 * gate and again right before its push, and commits do not change, so the second is the first.
 */
const recentScans = new Map<string, PushScan>();
const RECENT_SCANS = 32;
const COMMIT_ID = /^[0-9a-f]{40}$/;

/** What the commits of `since..HEAD` would push that looks like a secret, or is a new gitlink. */
async function scanPush(
  target: PushScanTarget,
  since: string,
  signal?: AbortSignal,
  head = "HEAD",
): Promise<PushScan> {
  const sha = COMMIT_ID.test(head) ? head : await currentHead(target.worktree);
  // Only ids name the same commits every time; a ref may move.
  const key = COMMIT_ID.test(since) ? `${target.worktree}\0${since}\0${sha}` : null;
  const known = key === null ? undefined : recentScans.get(key);
  if (known !== undefined) return known;
  const scan = await scanRange(target, since, sha, signal);
  if (key !== null) {
    recentScans.set(key, scan);
    if (recentScans.size > RECENT_SCANS) recentScans.delete(recentScans.keys().next().value!);
  }
  return scan;
}

async function scanRange(
  target: PushScanTarget,
  since: string,
  head: string,
  signal?: AbortSignal,
): Promise<PushScan> {
  const { blobs, gitlinks } = await pushedObjects(target.worktree, since, head, signal);
  const contents = await readBlobs(
    target.worktree,
    blobs.map((b) => b.id),
    SCAN_MAX_BYTES,
    signal,
  );
  const findings: BlobFinding[] = [];
  const [partly, unread]: [string[], string[]] = [[], []];
  for (const blob of blobs) {
    const read = contents.get(blob.id);
    if (read?.content == null) {
      unread.push(blob.path);
      continue;
    }
    if (read.truncated) partly.push(blob.path);
    const found = await scanContent(blob.path, read.content, target.redactor?.locate);
    findings.push(...found.map((f) => ({ ...f, blob: blob.id })));
  }
  return {
    findings: shown(dedupe(findings)),
    fingerprint: fingerprintOf(findings),
    gitlinks: gitlinks.filter((g) => !g.inBase),
    partly,
    unread,
  };
}

/**
 * Blocks the push when a commit adds something that looks like a secret or a new gitlink, and
 * undoes the commits (their changes stay in the working tree), so the next milestone can push
 * without it. Findings a writer approved (`/stamina approve` on what the secret gate held, bound
 * to their blobs and rules) go through, recorded as approved and by whom.
 */
export async function scanBeforePush(
  target: PushScanTarget & { store?: Pick<Store, "approvals">; runId?: string },
  since: string,
  signal: AbortSignal,
): Promise<void> {
  const scan = await scanPush(target, since, signal);
  const hard = scan.gitlinks.length > 0 || scan.unread.length > 0;
  const approvedBy =
    !hard && scan.findings.length > 0 && target.store && target.runId !== undefined
      ? (await target.store.approvals.grantedBy(target.runId)).get(scan.fingerprint)
      : undefined;
  const blocked = hard || (scan.findings.length > 0 && approvedBy === undefined);
  await target.audit.record("git.secret_scan", {
    since,
    result: blocked ? "blocked" : approvedBy !== undefined ? "approved" : "clean",
    ...(approvedBy !== undefined ? { approvedBy } : {}),
    findings: scan.findings,
    ...(scan.gitlinks.length > 0 ? { gitlinks: scan.gitlinks.map((g) => g.path) } : {}),
    ...(scan.partly.length > 0 ? { scannedInPart: scan.partly } : {}),
    ...(scan.unread.length > 0 ? { notScanned: scan.unread } : {}),
  });
  if (!blocked) return;
  await runGit(["reset", "--quiet", "--soft", since], { cwd: target.worktree });
  throw new RunFailure(refusal(scan));
}

/**
 * The secret scan as an approval gate, before a milestone is pushed: findings no writer approved
 * hold the commit and ask (`awaiting_approval`), rather than failing the run, since a finding may
 * be a false positive. The approval is bound to the findings' blobs and rules: the same content
 * goes through, a secret added later asks again. New gitlinks are left to the push, which
 * refuses them whatever a writer says.
 */
export function createSecretGate(deps: {
  store: Pick<Store, "runs" | "approvals">;
  runId: string;
  worktree: string;
  audit: AuditSink;
  redactor?: PushScanTarget["redactor"];
}): ApprovalGate {
  return async (sha, signal) => {
    const run = await deps.store.runs.mustGet(deps.runId);
    const since = run.headSha ?? run.baseSha;
    if (since === null) return null;
    const scan = await scanPush(deps, since, signal, sha);
    if (scan.findings.length === 0) return null;
    const { fingerprint } = scan;
    if ((await deps.store.approvals.granted(deps.runId)).has(fingerprint)) return null;
    const { findings } = scan;
    await deps.audit.record("git.secret_scan", { since, result: "held", fingerprint, findings });
    return heldForSecrets(fingerprint, scan.findings);
  };
}

function heldForSecrets(fingerprint: string, findings: SecretFinding[]): PauseRequest {
  const asked = findings
    .slice(0, 10)
    .map(
      (f) =>
        `adds what looks like a secret: ${ruleName(f.kind)} in \`${f.path}\` line ${f.line} (approve only if it is not one)`,
    );
  if (findings.length > 10) asked.push(`and ${findings.length - 10} more such lines`);
  return {
    source: "approval",
    reason: `This change adds what looks like a secret (${describeFindings(findings)}). Secrets belong in the repository's secret store or an environment variable, not in the code; if these are not secrets, a writer can let them through.`,
    details: { fingerprint, asked, secrets: findings },
  };
}

/** The findings as the audit and the issue may show them: where and which rule, no value, no blob. */
function shown(findings: SecretFinding[]): SecretFinding[] {
  return findings.map(({ path, line, kind }) => ({ path, line, kind }));
}

/** The findings' blobs and rules, as one value an approval is bound to. */
function fingerprintOf(findings: BlobFinding[]): string {
  const pairs = [...new Set(findings.map((f) => `${f.blob}\0${f.kind}`))].sort();
  return `secrets:${createHash("sha256").update(pairs.join("\n")).digest("hex")}`;
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
