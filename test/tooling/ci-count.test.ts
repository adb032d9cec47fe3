// `.ci/run`'s closing count (scripts/ci-count.ts): on a report vitest itself wrote for small test
// files in a temp dir (a beforeAll that throws, a file that does not load, a test skipped on
// purpose), and through the script as `.ci/run` runs it. The files live outside the repository,
// so tsc, eslint and knip never see them, and nothing of ours counts them.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countReport, type VitestReport } from "../../scripts/ci-count.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "stamina-ci-count-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FILES: Record<string, string> = {
  // In CI a missing tool's check throws in beforeAll (test/support/machine.ts).
  "hook.test.mjs": `import { beforeAll, describe, expect, it } from "vitest";
describe("needs ripgrep", () => {
  beforeAll(() => { throw new Error("ripgrep (rg) is not installed"); });
  it("one", () => expect(1).toBe(1));
  describe("nested", () => { it("two", () => expect(1).toBe(1)); });
});
describe("needs nothing", () => {
  it("passes", () => expect(1).toBe(1));
  it.skip("skipped on purpose", () => expect(1).toBe(1));
});
`,
  "broken.test.mjs": `throw new Error("cannot load");\n`,
  "mixed.test.mjs": `import { expect, it } from "vitest";
it("passes", () => expect(1).toBe(1));
it("fails", () => expect(1).toBe(2));
it.skip("later", () => expect(1).toBe(1));
`,
  "after.test.mjs": `import { afterAll, expect, it } from "vitest";
afterAll(() => { throw new Error("could not clean up"); });
it("passes", () => expect(1).toBe(1));
`,
};

let reportPath = "";
beforeAll(async () => {
  mkdirSync(join(dir, "test"));
  for (const [name, text] of Object.entries(FILES)) writeFileSync(join(dir, "test", name), text);
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  writeFileSync(
    join(dir, "vitest.config.mjs"),
    'export default { test: { include: ["test/*.test.mjs"] } };\n',
  );
  reportPath = join(dir, "report.json");
  const vitest = join(root, "node_modules/vitest/vitest.mjs");
  const args = [vitest, "run", "--reporter=json", `--outputFile=${reportPath}`];
  // vitest exits 1: some of these fail on purpose.
  await run(process.execPath, args, { cwd: dir, env: { ...process.env, CI: "" } }).catch(
    (error: { code?: number }) => {
      if (error.code !== 1) throw error;
    },
  );
}, 120_000);

describe("the closing count of .ci/run", () => {
  it("counts the tests of a describe whose beforeAll threw as failed, not skipped", () => {
    const count = countReport(JSON.parse(readFileSync(reportPath, "utf8")) as VitestReport, dir);
    // hook: 2 blocked by its beforeAll; broken: the file itself; mixed: 1; after: the file.
    expect(count).toMatchObject({ passed: 3, failed: 5 });
    expect(count.lines.sort()).toEqual([
      "did not run: 1 in test/hook.test.mjs: needs nothing skipped on purpose",
      "did not run: 1 in test/mixed.test.mjs: later",
      "failed, not run: 2 in test/hook.test.mjs (its file failed): needs ripgrep one; needs ripgrep nested two",
      "failed: test/after.test.mjs: could not clean up",
      "failed: test/broken.test.mjs: cannot load",
    ]);
  });

  it("prints its lines and the count when run as .ci/run runs it", async () => {
    const script = join(root, "scripts/ci-count.ts");
    const { stdout } = await run(process.execPath, ["--import", "tsx", script, reportPath], {
      cwd: dir,
    });
    expect(stdout.trim().split("\n").at(-1)).toBe("3 passed, 5 failed");
    expect(stdout).toContain("failed, not run: 2 in test/hook.test.mjs");
  });
});
