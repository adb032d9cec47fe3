// The "Stamina" check run on the run's head commit: created at the first
// push, moved to each new head (the one left behind is completed as
// superseded), updated with the live summary, completed with a conclusion at
// the end. Its id is stored, and one created by an attempt that died before
// storing it is found again by its external id, so a resumed run edits it.
import type { AuditSink } from "../agent/ports.ts";
import type { CheckConclusion, GitHubPort, RepoRef } from "../github/types.ts";
import type { Store } from "../store/store.ts";
import type { CheckRunRef } from "../store/types.ts";

/** The check run every Stamina run shows its progress and outcome on. */
export const STAMINA_CHECK = "Stamina";

export interface CheckContent {
  title: string;
  summary: string;
}

export interface StaminaCheck {
  /**
   * The check on `sha`, in progress, with `content`; the one on the head before (`before`, or
   * the stored one) is completed as superseded.
   */
  moveTo(sha: string, content: CheckContent, before?: string | null): Promise<void>;
  /** Updates the current check (none before the first push). */
  update(content: CheckContent): Promise<void>;
  complete(conclusion: CheckConclusion, content: CheckContent): Promise<void>;
}

export function createStaminaCheck(deps: {
  store: Store;
  github: GitHubPort;
  audit: AuditSink;
  runId: string;
  ref: RepoRef;
}): StaminaCheck {
  const { store, github, audit, runId, ref } = deps;
  const write = (content: CheckContent, conclusion?: CheckConclusion) => ({
    name: STAMINA_CHECK,
    externalId: runId,
    status: conclusion ? ("completed" as const) : ("in_progress" as const),
    ...(conclusion ? { conclusion } : {}),
    ...content,
  });
  const ours = async (on: string) =>
    (await github.findCheckRuns(ref, on, STAMINA_CHECK)).find((c) => c.externalId === runId);
  let searched: string | null = null;
  /** The stored check, else (once per head) ours found on the run's head and stored. */
  const adopted = async (): Promise<CheckRunRef | null> => {
    const run = await store.runs.mustGet(runId);
    if (run.checkRun || run.headSha === null || searched === run.headSha) return run.checkRun;
    searched = run.headSha;
    const found = await ours(run.headSha);
    if (!found) return null;
    const checkRun = { id: found.id, sha: run.headSha };
    await store.runs.update(runId, { checkRun });
    return checkRun;
  };
  return {
    async moveTo(sha, content, before) {
      const stored = (await store.runs.mustGet(runId)).checkRun;
      // Not stored (the attempt that made it died first): found on the head it was made for.
      const lost = !stored && before && before !== sha ? await ours(before) : undefined;
      const current = stored ?? (lost && before ? { id: lost.id, sha: before } : null);
      if (current?.sha === sha) {
        await github.updateCheckRun(ref, current.id, write(content));
        return;
      }
      const found = await ours(sha);
      let id: number;
      if (found) {
        id = found.id;
        await github.updateCheckRun(ref, id, write(content));
      } else {
        id = (await github.createCheckRun(ref, sha, write(content))).id;
        await audit.record("github.write", { op: "check.create", checkRunId: id, sha });
      }
      await store.runs.update(runId, { checkRun: { id, sha } });
      if (current) {
        await github.updateCheckRun(
          ref,
          current.id,
          write(
            {
              title: "Superseded",
              summary: `Stamina pushed ${sha.slice(0, 7)}; this run's progress is on that commit's check.`,
            },
            "neutral",
          ),
        );
        await audit.record("github.write", { op: "check.complete", checkRunId: current.id });
      }
    },
    async update(content) {
      const current = await adopted();
      if (current) await github.updateCheckRun(ref, current.id, write(content));
    },
    async complete(conclusion, content) {
      const current = await adopted();
      if (!current) return;
      await github.updateCheckRun(ref, current.id, write(content, conclusion));
      await audit.record("github.write", {
        op: "check.complete",
        checkRunId: current.id,
        conclusion,
      });
    },
  };
}
