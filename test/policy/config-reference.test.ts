// The README's config reference is the schema's: whoever adds or changes a key regenerates it.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  REFERENCE_START,
  renderReference,
  withReference,
} from "../../src/policy/config-reference.ts";
import { formatReadme } from "../../scripts/docs-config.ts";

const README = new URL("../../README.md", import.meta.url);

describe("the config reference in the README", () => {
  it("is up to date with the schema (run `npm run docs:config` if this fails)", async () => {
    const readme = readFileSync(README, "utf8");
    expect(await formatReadme(withReference(readme))).toBe(readme);
  });

  it("has a row for every key, nested keys included, with its default", () => {
    const table = renderReference();
    expect(table).toContain(
      "| `approvals.max_deleted_files` | whole number, 0 to 1,000,000 | `20` |",
    );
    expect(table).toContain(
      '| `approvals.protected_paths` | list of text | `[".github/workflows/**"]` |',
    );
    expect(table).toContain("| `dry_run` | true or false | `false` |");
    expect(table).toContain("| `budget.dollars` | number, more than 0, at most 10,000 | `10` |");
  });

  it("would fail on a README whose reference differs", async () => {
    const readme = readFileSync(README, "utf8");
    const start = readme.indexOf(REFERENCE_START);
    const stale = readme.slice(0, start) + readme.slice(start).replace("`dry_run`", "`dry_rum`");
    expect(stale).not.toBe(readme);
    // The check above compares the regenerated README with the file: for this one they differ.
    expect(await formatReadme(withReference(stale))).not.toBe(stale);
    expect(await formatReadme(withReference(stale))).toBe(readme);
    expect(() => withReference("no markers here")).toThrow(/markers/);
  });
});
