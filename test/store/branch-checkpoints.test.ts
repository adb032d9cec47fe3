// The checkpoints of a branch as people name them: numbered in push order
// across the runs on the branch, green when a passing verification made
// them, chosen by number, by commit prefix or (alone) the last green one,
// and every other answer a problem in words that lists them.
import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/types.ts";
import {
  branchCheckpoints,
  chooseCheckpoint,
  type BranchCheckpoint,
} from "../../src/store/branch-checkpoints.ts";

const BRANCH = "stamina/1-fix-it";
const sha = (c: string) => c.repeat(40);

function log(runId: string, entries: Array<[string, Record<string, unknown>, string]>) {
  const events = entries.map(([type, data, ts], i): AuditEvent => ({
    run: runId,
    seq: i + 1,
    ts,
    type,
    data,
    prevHash: "",
    hash: "",
  }));
  return { runId, events };
}

const at = (minute: number) => `2026-11-21T10:${String(minute).padStart(2, "0")}:00.000Z`;

function checkpoints(): BranchCheckpoint[] {
  return branchCheckpoints(
    [
      log("run-1", [
        ["git.commit", { sha: sha("a"), reason: "tool" }, at(1)],
        ["git.push", { branch: BRANCH, sha: sha("a") }, at(1)],
        // Committed, but the secret scan stopped its push: not a checkpoint.
        ["git.commit", { sha: sha("f"), reason: "tool" }, at(2)],
        ["git.commit", { sha: sha("b"), reason: "verified" }, at(3)],
        ["git.push", { branch: BRANCH, sha: sha("b") }, at(3)],
        ["git.commit", { sha: sha("c"), reason: "final" }, at(4)],
        ["git.push", { branch: BRANCH, sha: sha("c") }, at(4)],
      ]),
      // A follow-up on the same branch, later.
      log("run-2", [
        ["git.commit", { sha: sha("d"), reason: "verified" }, at(9)],
        ["git.push", { branch: BRANCH, sha: sha("d") }, at(9)],
        ["git.commit", { sha: sha("e"), reason: "rollback" }, at(10)],
        ["git.push", { branch: BRANCH, sha: sha("e") }, at(10)],
      ]),
    ],
    BRANCH,
  );
}

describe("a branch's checkpoints", () => {
  it("are the pushed milestones of every run on the branch, numbered in push order", () => {
    expect(checkpoints().map((c) => [c.number, c.sha[0], c.reason, c.green, c.runId])).toEqual([
      [1, "a", "tool", false, "run-1"],
      [2, "b", "verified", true, "run-1"],
      [3, "c", "final", false, "run-1"],
      [4, "d", "verified", true, "run-2"],
      [5, "e", "rollback", false, "run-2"],
    ]);
  });

  it("are chosen by number, by a commit prefix of 7 or more, or alone the last green one", () => {
    const list = checkpoints();
    const pick = (arg: string) => {
      const choice = chooseCheckpoint(list, arg);
      return choice.ok ? choice.checkpoint.number : choice.problem;
    };
    expect(pick("")).toBe(4);
    expect(pick("2")).toBe(2);
    expect(pick("#3")).toBe(3);
    expect(pick("aaaaaaa")).toBe(1);
    expect(pick(`${sha("c").toUpperCase()} please`)).toBe(3);
  });

  it("refuse in words what names none, listing the known ones", () => {
    const list = checkpoints();
    const problem = (arg: string, of = list) => {
      const choice = chooseCheckpoint(of, arg);
      return choice.ok ? `chose ${choice.checkpoint.number}` : choice.problem;
    };
    expect(problem("9")).toContain("There is no checkpoint 9.");
    expect(problem("9")).toContain("2. `bbbbbbb` ✅ verification passed");
    expect(problem("9")).toContain("5. `eeeeeee` rollback");
    expect(problem("fffffff")).toContain("`fffffff` is not one of the checkpoints");
    expect(problem("abc")).toContain("is neither a checkpoint's number nor a commit");
    expect(problem("", list.slice(0, 1))).toContain("No checkpoint of this branch passed");
    expect(problem("1", [])).toBe("Stamina has pushed no checkpoint to this branch yet.");
  });
});
