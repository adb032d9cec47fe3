// Reading a diff for weakened tests: deleted test files, fewer cases, fewer
// assertions (commenting one out counts), skipped or focused tests; and
// changes that keep the tests whole are not flagged.
import { describe, expect, it } from "vitest";
import { findTestWeakening } from "../../src/agent/test-integrity.ts";

function diff(path: string, removed: string[], added: string[], header = ""): string {
  return [
    `diff --git a/${path} b/${path}`,
    header,
    `--- a/${path}`,
    `+++ b/${path}`,
    "@@ -1,9 +1,9 @@",
    ...removed.map((l) => `-${l}`),
    ...added.map((l) => `+${l}`),
  ]
    .filter((l) => l !== "")
    .join("\n");
}

describe("findTestWeakening", () => {
  it("flags a removed assertion, and one commented out", () => {
    expect(findTestWeakening(diff("test/a.test.ts", ["  expect(sum(1, 1)).toBe(2);"], []))).toEqual(
      [{ path: "test/a.test.ts", kind: "fewer_assertions", detail: "1 assertion removed" }],
    );
    expect(
      findTestWeakening(
        diff(
          "tests/test_sum.py",
          ["    assert total(1, 1) == 2"],
          ["    # assert total(1, 1) == 2"],
        ),
      ),
    ).toMatchObject([{ kind: "fewer_assertions" }]);
  });

  it("flags fewer test cases across languages", () => {
    const flags = findTestWeakening(
      [
        diff("src/sum.test.js", ['it("adds", () => {', "  expect(add(1, 2)).toBe(3);", "});"], []),
        diff("pkg/sum_test.go", ["func TestSum(t *testing.T) {", '\tt.Errorf("bad")'], []),
        diff(
          "src/test/java/SumTest.java",
          ["  @Test", "  void adds() { assertEquals(3, add(1, 2)); }"],
          [],
        ),
      ].join("\n"),
    );
    expect(flags.map((f) => [f.path, f.kind])).toEqual([
      ["src/sum.test.js", "fewer_tests"],
      ["src/sum.test.js", "fewer_assertions"],
      ["pkg/sum_test.go", "fewer_tests"],
      ["pkg/sum_test.go", "fewer_assertions"],
      ["src/test/java/SumTest.java", "fewer_tests"],
      ["src/test/java/SumTest.java", "fewer_assertions"],
    ]);
  });

  it("flags skipped and focused tests", () => {
    const flags = findTestWeakening(
      [
        diff("test/a.test.ts", ['it("adds", () => {'], ['it.skip("adds", () => {']),
        diff("test/b.spec.ts", ['describe("b", () => {'], ['describe.only("b", () => {']),
        diff("tests/test_c.py", [], ["@pytest.mark.skip(reason='flaky')"]),
      ].join("\n"),
    );
    expect(flags.map((f) => [f.path, f.kind])).toEqual([
      ["test/a.test.ts", "skipped"],
      ["test/b.spec.ts", "skipped"],
      ["tests/test_c.py", "skipped"],
    ]);
  });

  it("flags a deleted test file", () => {
    expect(
      findTestWeakening(
        diff(
          "test/old.test.ts",
          ['test("x", () => expect(1).toBe(1));'],
          [],
          "deleted file mode 100644",
        ),
      ),
    ).toEqual([
      {
        path: "test/old.test.ts",
        kind: "deleted_file",
        detail: "test file deleted (1 test case, 1 assertion)",
      },
    ]);
  });

  it("lets through a changed assertion, new tests, and changes outside tests", () => {
    expect(
      findTestWeakening(
        [
          diff("test/a.test.ts", ["  expect(f()).toBe(2);"], ["  expect(f()).toBe(3);"]),
          diff("test/b.test.ts", [], ['it("new", () => {', "  expect(g()).toBe(1);", "});"]),
          diff("src/app.ts", ["assert(x);", "expect(y);"], []),
          diff("test/c.test.ts", ["// expect(old).toBe(1);"], []),
        ].join("\n"),
      ),
    ).toEqual([]);
  });

  it("follows a renamed test file to its new path", () => {
    const renamed = [
      "diff --git a/test/old.test.ts b/test/new.test.ts",
      "similarity index 90%",
      "rename from test/old.test.ts",
      "rename to test/new.test.ts",
      "--- a/test/old.test.ts",
      "+++ b/test/new.test.ts",
      "@@ -1,2 +1,1 @@",
      "-  expect(a).toBe(1);",
    ].join("\n");
    expect(findTestWeakening(renamed)).toMatchObject([{ path: "test/new.test.ts" }]);
  });
});
