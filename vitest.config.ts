import { defineConfig } from "vitest/config";

// CI sets VITEST_JSON_REPORT to a file path so .ci/run can count results from
// vitest's own report rather than by scraping its console output.
const jsonReport = process.env.VITEST_JSON_REPORT;

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Says, before the tests, what this machine lacks that some test files need.
    globalSetup: ["test/support/preflight.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: jsonReport ? ["default", "json"] : ["default"],
    outputFile: jsonReport ? { json: jsonReport } : undefined,
  },
});
