// The config reference in docs/configuration.md is the schema's: whoever adds or changes a key
// regenerates it. The README points there, under "Config reference".
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  REFERENCE_START,
  renderReference,
  withReference,
} from "../../src/policy/config-reference.ts";
import { formatReferenceDoc } from "../../scripts/docs-config.ts";

const REFERENCE_DOC = new URL("../../docs/configuration.md", import.meta.url);
const README = new URL("../../README.md", import.meta.url);

describe("the config reference in docs/configuration.md", () => {
  it("is up to date with the schema (run `npm run docs:config` if this fails)", async () => {
    const doc = readFileSync(REFERENCE_DOC, "utf8");
    expect(await formatReferenceDoc(withReference(doc))).toBe(doc);
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

  it("would fail on a file whose reference differs", async () => {
    const doc = readFileSync(REFERENCE_DOC, "utf8");
    const start = doc.indexOf(REFERENCE_START);
    const stale = doc.slice(0, start) + doc.slice(start).replace("`dry_run`", "`dry_rum`");
    expect(stale).not.toBe(doc);
    // The check above compares the regenerated file with the file: for this one they differ.
    expect(await formatReferenceDoc(withReference(stale))).not.toBe(stale);
    expect(await formatReferenceDoc(withReference(stale))).toBe(doc);
    expect(() => withReference("no markers here")).toThrow(/markers/);
  });

  it("is the one the README sends readers to, under “Config reference”", () => {
    // A bad repository config's comment says every key is listed under “Config reference”
    // (src/app/repo-config.ts): the README keeps that heading, linking to the generated table.
    const readme = readFileSync(README, "utf8");
    expect(readme).not.toContain(REFERENCE_START);
    const heading = readme.indexOf("\n### Config reference\n");
    expect(heading).toBeGreaterThan(0);
    expect(readme.slice(heading, heading + 800)).toContain(
      "(docs/configuration.md#config-reference)",
    );
  });
});
