// Approvals by policy, the pure part: which files of a change need a writer's
// approval (protected paths, deletions past the thresholds, dependency
// manifests when on), the patterns as the config documents them, the words
// the comment uses, and a fingerprint that changes when the asked part does.
import { describe, expect, it } from "vitest";
import { approvalsSchema } from "../../src/policy/approvals-config.ts";
import {
  checkChange,
  describeHit,
  matchesPattern,
  type ChangedFile,
} from "../../src/policy/approvals.ts";

const policy = (raw: unknown = {}) => approvalsSchema.parse(raw);
const modified = (path: string, blob = "b1", deletedLines = 1): ChangedFile => ({
  path,
  status: "modified",
  deletedLines,
  blob,
});
const deleted = (path: string, deletedLines = 10): ChangedFile => ({
  path,
  status: "deleted",
  deletedLines,
  blob: null,
});

describe("path patterns", () => {
  it.each([
    [".github/workflows/**", ".github/workflows/ci.yml", true],
    [".github/workflows/**", ".github/workflows/sub/x.yml", true],
    [".github/workflows/**", ".github/workflows.yml", false],
    [".github/workflows/**", "docs/.github/workflows/ci.yml", false],
    ["deploy/*.sh", "deploy/run.sh", true],
    ["deploy/*.sh", "deploy/a/run.sh", false],
    ["deploy/**/*.sh", "deploy/run.sh", true],
    ["deploy/**/*.sh", "deploy/a/b/run.sh", true],
    ["/secrets.txt", "secrets.txt", true],
    ["Makefile", "sub/Makefile", true],
    ["requirements*.txt", "requirements-dev.txt", true],
    ["file?.txt", "file1.txt", true],
    ["file?.txt", "file12.txt", false],
    ["a.b", "axb", false],
  ])("%s against %s: %s", (pattern, path, expected) => {
    expect(matchesPattern(pattern, path)).toBe(expected);
  });
});

describe("checking a change", () => {
  it("asks nothing of an ordinary change", () => {
    expect(checkChange([modified("src/a.ts"), deleted("old.txt")], policy())).toBeNull();
  });

  it("holds a workflow file always, and the paths the config adds", () => {
    const hit = checkChange(
      [modified(".github/workflows/ci.yml"), modified("deploy/prod.sh"), modified("src/a.ts")],
      policy({ protected_paths: ["deploy/**"] }),
    );
    expect(hit?.protectedPaths).toEqual([
      { path: ".github/workflows/ci.yml", pattern: ".github/workflows/**" },
      { path: "deploy/prod.sh", pattern: "deploy/**" },
    ]);
    expect(describeHit(hit!)).toEqual([
      "changes a protected file (`.github/workflows/**`): `.github/workflows/ci.yml`",
      "changes a protected file (`deploy/**`): `deploy/prod.sh`",
    ]);
  });

  it("counts deletions over the whole change against both thresholds", () => {
    const files = [deleted("a.txt", 600), deleted("b.txt", 600), modified("c.txt", "b", 1)];
    expect(checkChange(files, policy({ max_deleted_lines: 2000 }))).toBeNull();
    const hit = checkChange(files, policy({ max_deleted_files: 1 }));
    expect(hit?.deletions).toEqual({
      files: 2,
      lines: 1201,
      maxFiles: 1,
      maxLines: 1000,
      deleted: ["a.txt", "b.txt"],
    });
    expect(describeHit(hit!)).toEqual([
      "deletes 2 files (the limit is 1) and removes 1,201 lines (the limit is 1,000); deleted: `a.txt`, `b.txt`",
    ]);
  });

  it("holds dependency manifests only when the config turns them on", () => {
    const files = [modified("package.json"), modified("web/yarn.lock"), modified("src/a.ts")];
    expect(checkChange(files, policy())).toBeNull();
    const hit = checkChange(files, policy({ dependency_manifests: true }));
    expect(hit?.manifests).toEqual(["package.json", "web/yarn.lock"]);
  });

  it("ties the fingerprint to the asked files' contents, not to the rest of the change", () => {
    const ci = (blob: string) => modified(".github/workflows/ci.yml", blob);
    const first = checkChange([ci("b1"), modified("a.txt", "x")], policy())!;
    const unrelated = checkChange([ci("b1"), modified("a.txt", "y")], policy())!;
    const edited = checkChange([ci("b2"), modified("a.txt", "x")], policy())!;
    expect(unrelated.fingerprint).toBe(first.fingerprint);
    expect(edited.fingerprint).not.toBe(first.fingerprint);
  });
});
