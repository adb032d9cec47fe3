// Branch names for runs stay readable, short and valid whatever the title.
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { freeBranchName } from "../../src/workspace/branch-slug.ts";
import { branchSlug } from "../../src/workspace/git.ts";

function validRef(name: string): boolean {
  try {
    execFileSync("git", ["check-ref-format", "--branch", name], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("branchSlug", () => {
  it.each([
    [12, "Fix: crash when the config is empty!", "stamina/12-fix-crash-when-the-config-is-empty"],
    [7, "Ünïcödé café — naïve façade", "stamina/7-unicode-cafe-naive-facade"],
    [3, "", "stamina/3-issue"],
    [4, "日本語のタイトル", "stamina/4-issue"],
    [5, "  ..//@{lock}.lock  ", "stamina/5-lock-lock"],
    [6, "Add `--dry-run` to CLI", "stamina/6-add-dry-run-to-cli"],
  ])("#%i %j -> %s", (issue, title, expected) => {
    expect(branchSlug(issue, title)).toBe(expected);
    expect(validRef(expected)).toBe(true);
  });

  it("keeps long titles to whole words within 40 characters", () => {
    const name = branchSlug(
      99,
      "Refactor the configuration loader so that organisation defaults merge properly",
    );
    const slug = name.replace("stamina/99-", "");
    expect(slug.length).toBeLessThanOrEqual(40);
    expect(slug).toBe("refactor-the-configuration-loader-so");
    expect(validRef(name)).toBe(true);
  });

  it("cuts a single over-long word rather than dropping it", () => {
    const name = branchSlug(1, "a".repeat(300));
    expect(name).toBe(`stamina/1-${"a".repeat(40)}`);
  });

  it("refuses an issue number that is not a positive integer", () => {
    expect(() => branchSlug(0, "x")).toThrow(RangeError);
    expect(() => branchSlug(1.5, "x")).toThrow(RangeError);
  });
});

describe("freeBranchName", () => {
  it("keeps the wanted name when it is free, else takes the first free -N", () => {
    const wanted = "stamina/5-fix";
    expect(freeBranchName(wanted, new Set())).toBe(wanted);
    expect(freeBranchName(wanted, new Set([wanted]))).toBe(`${wanted}-2`);
    expect(freeBranchName(wanted, new Set([wanted, `${wanted}-2`, `${wanted}-4`]))).toBe(
      `${wanted}-3`,
    );
  });
});
