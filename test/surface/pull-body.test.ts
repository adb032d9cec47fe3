// The pull request's body: the repository's template found where GitHub looks
// (and in its order), read from the commit the run started from, and merged
// with Stamina's sections without losing any of the template's; the whole
// body within its limit whatever went into it.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { findTemplate, mergeTemplate, type OurSections } from "../../src/surface/pr-template.ts";
import { pullRequestBody } from "../../src/surface/pull-body.ts";
import { chain, sampleEntry } from "../audit/fixture.ts";
import { fixtureGit, removeTempDirs, tempDir } from "../workspace/helpers.ts";

afterEach(removeTempDirs);

function repo(files: Record<string, string>): { dir: string; head: string } {
  const dir = tempDir("stamina-template-");
  fixtureGit(dir, "init", "-q", "-b", "main");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  fixtureGit(dir, "add", "-A");
  fixtureGit(dir, "commit", "-qm", "base");
  return { dir, head: fixtureGit(dir, "rev-parse", "HEAD").trim() };
}

const OURS: OurSections = [
  { kind: "issue", title: "", body: "Fixes #3" },
  { kind: "summary", title: "Summary", body: "It works now." },
  { kind: "changes", title: "What changed", body: "- `src/`" },
  { kind: "verification", title: "Verification", body: "✅ tests" },
  { kind: "audit", title: "Audit", body: "digest" },
];

describe("the pull request template", () => {
  it("is found in .github first, then the root, then docs, in any case, from the base commit", async () => {
    const both = repo({
      "docs/pull_request_template.md": "docs",
      "PULL_REQUEST_TEMPLATE.md": "root",
      "README.md": "hi",
    });
    expect(await findTemplate(both.dir, both.head)).toBe("root");
    const dotGithub = repo({
      ".github/Pull_Request_Template.md": "github",
      "pull_request_template.md": "root",
    });
    expect(await findTemplate(dotGithub.dir, dotGithub.head)).toBe("github");
    const none = repo({ "README.md": "hi", ".github/PULL_REQUEST_TEMPLATE/feature.md": "x" });
    expect(await findTemplate(none.dir, none.head)).toBeNull();
    // The agent's edit after the base does not count.
    writeFileSync(join(none.dir, "pull_request_template.md"), "added later");
    fixtureGit(none.dir, "add", "-A");
    fixtureGit(none.dir, "commit", "-qm", "later");
    expect(await findTemplate(none.dir, none.head)).toBeNull();
  });

  it("keeps every section of the template and fills ours in under the headings that ask", () => {
    const template = [
      "<!-- Thanks for contributing! -->",
      "### Related issue",
      "",
      "## What does this PR do?",
      "",
      "## Testing",
      "- [ ] Tests added",
      "",
      "## Screenshots",
      "",
    ].join("\n");
    const body = mergeTemplate(template, OURS);
    const at = (s: string) => body.indexOf(s);
    expect(at("<!-- Thanks for contributing! -->")).toBe(0);
    expect(at("### Related issue")).toBeLessThan(at("Fixes #3"));
    expect(at("Fixes #3")).toBeLessThan(at("## What does this PR do?"));
    expect(at("## What does this PR do?")).toBeLessThan(at("It works now."));
    expect(at("It works now.")).toBeLessThan(at("## Testing"));
    expect(at("## Testing")).toBeLessThan(at("✅ tests"));
    expect(at("✅ tests")).toBeLessThan(at("- [ ] Tests added"));
    expect(at("## Screenshots")).toBeGreaterThan(0);
    // Ours that no heading asked for follow, under our own headings.
    expect(body).not.toContain("## Summary");
    expect(at("## What changed")).toBeGreaterThan(at("## Screenshots"));
    expect(at("## Audit")).toBeGreaterThan(at("## What changed"));
  });

  it("puts the issue reference first when no heading asks for it, and ours alone without a template", () => {
    expect(mergeTemplate("## Notes\n", OURS).startsWith("Fixes #3\n\n## Notes")).toBe(true);
    expect(mergeTemplate(null, OURS)).toBe(
      "Fixes #3\n\n## Summary\n\nIt works now.\n\n## What changed\n\n- `src/`\n\n## Verification\n\n✅ tests\n\n## Audit\n\ndigest",
    );
  });
});

describe("the pull request body", () => {
  it("stays within 60,000 characters whatever the model wrote and however many folders changed", () => {
    const events = chain(Array.from({ length: 2_000 }, (_, i) => sampleEntry(i)));
    const run = {
      issueNumber: 3,
      config: parseRepoConfig({}),
    } as Parameters<typeof pullRequestBody>[0]["run"];
    const body = pullRequestBody({
      run,
      summary: "word ".repeat(40_000),
      verification: null,
      stopNote: null,
      testWeakening: [],
      spend: "1 of 50 steps",
      events,
      areas: Array.from({ length: 500 }, (_, i) => ({
        name: `dir${i}/`,
        files: Array.from({ length: 40 }, (_, j) => ({
          path: `dir${i}/f${j}.ts`,
          added: 1,
          removed: 0,
        })),
      })),
    });
    expect(body.length).toBeLessThanOrEqual(60_000);
    expect(body).toContain("and 470 more folders");
    expect(body).toMatch(/events cut/);
  });
});
