// What `stamina run` and `stamina replay` set up alike before a session: the
// run's id and its own folder under the data folder, and the audit log, which
// the terminal follows as it is written.
import { randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { AuditFile } from "../audit/file-log.ts";
import type { Redactor } from "../observability/redact.ts";
import { createReporter, type Out, type Reporter } from "./console.ts";

export interface RunFolder {
  runId: string;
  /** The run's own folder, outside the worktree. */
  runDir: string;
}

export interface LocalAudit {
  audit: AuditFile;
  /** Absolute, as printed and as `stamina replay` is later given it. */
  auditPath: string;
  reporter: Reporter;
}

/** `<prefix>-<UTC time>-<6 hex>` in `parent`, created; the random tail keeps two runs started in the same second apart. */
export async function createRunFolder(parent: string, prefix: string): Promise<RunFolder> {
  const runId = `${prefix}-${new Date().toISOString().replace(/[-:]|\.\d+/g, "")}-${randomBytes(3).toString("hex")}`;
  const runDir = join(parent, runId);
  await mkdir(runDir, { recursive: true });
  return { runId, runDir };
}

/** The audit log at `auditLog`, else `audit.jsonl` in the run's folder, shown on `out` event by event. */
export async function openLocalAudit(options: {
  folder: RunFolder;
  auditLog: string | undefined;
  redactor: Redactor;
  out: Out;
}): Promise<LocalAudit> {
  const { runId, runDir } = options.folder;
  const auditPath = resolve(options.auditLog ?? join(runDir, "audit.jsonl"));
  const reporter = createReporter(options.out);
  const audit = await AuditFile.create({
    path: auditPath,
    runId,
    redactor: options.redactor,
    onEvent: reporter.onEvent,
  });
  return { audit, auditPath, reporter };
}
