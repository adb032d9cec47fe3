// The closing lines of `.ci/run`, from vitest's JSON report: what did not run, file by file, and
// "N passed, N failed". A test that did not run because its file failed (a beforeAll that threw,
// as a missing tool's check does in CI) is counted as failed, not skipped: vitest reports it
// `skipped` in a file whose status is `failed`, with nothing else to tell it from a test skipped
// on purpose, except that in the same describe nothing ran either (a describe where some test ran
// had its hooks run, so its skipped tests were skipped on purpose). A failed file with no test
// left to blame (it did not load, or an afterAll threw) counts as one failure.
//
//   node --import tsx scripts/ci-count.ts REPORT.json
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { pathToFileURL } from "node:url";

/** The parts of vitest's JSON report (its `json` reporter) read here. */
export interface VitestReport {
  numPassedTests: number;
  testResults: {
    name: string;
    status: string;
    message?: string;
    assertionResults: { ancestorTitles: string[]; fullName: string; status: string }[];
  }[];
}

export interface Count {
  passed: number;
  failed: number;
  /** One line per file with tests that did not run, saying why. */
  lines: string[];
}

export function countReport(report: VitestReport, root: string): Count {
  let failed = 0;
  const lines: string[] = [];
  for (const file of report.testResults) {
    const where = relative(root, file.name);
    const ran = (t: { status: string }) => t.status === "passed" || t.status === "failed";
    const describesThatRan = new Set(
      file.assertionResults.filter(ran).map((t) => t.ancestorTitles.join("\0")),
    );
    const notRun = file.assertionResults.filter((t) => !ran(t));
    const [blocked, skipped] = partition(
      notRun,
      (t) => file.status === "failed" && !describesThatRan.has(t.ancestorTitles.join("\0")),
    );
    failed += file.assertionResults.filter((t) => t.status === "failed").length + blocked.length;
    if (blocked.length > 0) {
      lines.push(
        `failed, not run: ${blocked.length} in ${where} (its file failed${why(file)}): ${names(blocked)}`,
      );
    } else if (
      file.status === "failed" &&
      file.assertionResults.every((t) => t.status !== "failed")
    ) {
      failed += 1;
      lines.push(`failed: ${where}${why(file)}`);
    }
    if (skipped.length > 0)
      lines.push(`did not run: ${skipped.length} in ${where}: ${names(skipped)}`);
  }
  return { passed: report.numPassedTests, failed, lines };
}

function partition<T>(items: T[], test: (item: T) => boolean): [T[], T[]] {
  return [items.filter(test), items.filter((item) => !test(item))];
}

const names = (tests: { fullName: string }[]) => tests.map((t) => t.fullName).join("; ");

/** The file's own error, when the report has one (a file that did not load, an afterAll; a beforeAll's is not there). */
function why(file: VitestReport["testResults"][number]): string {
  const line = (file.message ?? "").trim().split("\n")[0] ?? "";
  return line === "" ? "" : `: ${line}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const path = process.argv[2];
  if (path === undefined)
    throw new Error("usage: node --import tsx scripts/ci-count.ts REPORT.json");
  const count = countReport(JSON.parse(readFileSync(path, "utf8")) as VitestReport, process.cwd());
  for (const line of count.lines) console.log(line);
  console.log(`${count.passed} passed, ${count.failed} failed`);
}
