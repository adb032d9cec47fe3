// The link from a run's texts on GitHub to its run page: there only when STAMINA_PUBLIC_URL is
// set, at `${STAMINA_PUBLIC_URL}/runs/<run id>`, and one Markdown link whatever the setting holds.
import { describe, expect, it } from "vitest";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { pullRequestBody, stoppedBody, workingBody } from "../../src/surface/pull-body.ts";
import { trackingComment } from "../../src/surface/report.ts";
import { runPageUrl } from "../../src/surface/run-link.ts";
import type { Run } from "../../src/store/types.ts";
import { chain, sampleEntry } from "../audit/fixture.ts";
import { APP_PUBLIC_KEY, startApp } from "../support/app-harness.ts";
import { startFakeGitHub } from "../support/fake-github/index.ts";
import { examplePayload } from "../support/webhooks.ts";

const RUN_ID = "01J9ZQ4V6W8X0Y2Z4A6B8C0D2E";
const run = {
  id: RUN_ID,
  issueNumber: 3,
  requestedBy: "octocat",
  stepsUsed: 4,
  dryRun: false,
  branch: "stamina/3-fix",
  pullUrl: null,
  config: parseRepoConfig({}),
} as unknown as Run;

/** Every text a run writes on GitHub, with the run page given or not. */
function texts(runPage: string | null): Record<string, string> {
  return {
    queued: trackingComment(run, { kind: "queued" }, [], [], runPage),
    working: trackingComment(run, { kind: "working", steps: 4 }, [], [], runPage),
    failed: trackingComment(run, { kind: "failed", reason: "It broke." }, [], [], runPage),
    draft: workingBody(run, [], runPage),
    stopped: stoppedBody(run, "Stamina stopped.", [], runPage),
    finished: pullRequestBody({
      run,
      summary: "Fixed it.",
      verification: null,
      stopNote: null,
      testWeakening: [],
      spend: "4 of 50 steps",
      events: chain([sampleEntry(0), sampleEntry(1)]),
      runPage,
    }),
  };
}

/** The Markdown links in `text`, as [label, address]. */
const links = (text: string) =>
  [...text.matchAll(/\[([^\]]*)\]\(([^)\s]*)\)/g)].map((m) => [m[1], m[2]]);

describe("the link to the run page", () => {
  it("is the public address, /runs/ and the run's id", () => {
    expect(runPageUrl("https://stamina.example.com", RUN_ID)).toBe(
      `https://stamina.example.com/runs/${RUN_ID}`,
    );
    expect(runPageUrl("https://example.com/stamina/", RUN_ID)).toBe(
      `https://example.com/stamina/runs/${RUN_ID}`,
    );
  });

  it("is on the tracking comment and every pull request body when STAMINA_PUBLIC_URL is set", () => {
    const url = runPageUrl("https://stamina.example.com", RUN_ID);
    for (const [name, text] of Object.entries(texts(url))) {
      expect(links(text), name).toContainEqual([
        "its page",
        `https://stamina.example.com/runs/${RUN_ID}`,
      ]);
    }
  });

  it("is nowhere when STAMINA_PUBLIC_URL is not set", () => {
    expect(runPageUrl(undefined, RUN_ID)).toBeNull();
    for (const [name, text] of Object.entries(texts(runPageUrl(undefined, RUN_ID)))) {
      expect(text, name).not.toContain("/runs/");
      expect(text, name).not.toContain("Follow this run");
    }
  });

  it("stays one link when the address holds characters Markdown would read", () => {
    const url = runPageUrl(
      "https://stamina.example.com/a b)(<x>[y]`'\"\\",
      "run )![z](https://evil.example)",
    );
    const comment = trackingComment(run, { kind: "queued" }, [], [], url);
    const found = links(comment);
    expect(found).toHaveLength(1);
    const [label, address] = found[0]!;
    expect(label).toBe("its page");
    expect(address).toBe(
      "https://stamina.example.com/a%20b%29%28%3Cx%3E%5By%5D%60%27%22//runs/run%20%29!%5Bz%5D%28https%3A%2F%2Fevil.example%29",
    );
    // (A backslash is a slash to a URL parser, as browsers read http addresses.)
    expect(comment).not.toContain("](https://evil.example)");
  });
});

describe("the tracking comment the real app posts when an issue is labelled", () => {
  /** Labels issue #1 of acme/app through the real app on the fake GitHub: the comment and the run. */
  async function labelled(publicUrl: string | undefined) {
    const github = await startFakeGitHub({ appId: 1, appPublicKeyPem: APP_PUBLIC_KEY });
    const app = await startApp({ apiUrl: github.apiUrl, ...(publicUrl ? { publicUrl } : {}) });
    try {
      github.addInstallation(1, "acme");
      await github.createRepository({
        owner: "acme",
        name: "app",
        installationId: 1,
        files: { "README.md": "hi" },
      });
      github.setPermission("acme", "app", "maintainer", "write");
      const payload = examplePayload<{
        label: { name: string };
        sender: { login: string };
        repository: { name: string; full_name: string; owner: { login: string } };
      }>("issues", "labeled");
      payload.repository.owner.login = "acme";
      payload.repository.name = "app";
      payload.repository.full_name = "acme/app";
      payload.label.name = "stamina";
      payload.sender.login = "maintainer";
      const posted = await app.deliver("issues", payload);
      expect(await app.handled(posted.deliveryId)).toBe("ok");
      const [created] = await app.store.runs.list();
      return {
        comments: github.issueComments("acme", "app", 1).map((c) => c.body),
        runId: created!.id,
      };
    } finally {
      await app.close();
      await github.close();
    }
  }

  it("links to the run page under STAMINA_PUBLIC_URL when it is set, and not otherwise", async () => {
    const linked = await labelled("https://stamina.example.com/");
    expect(linked.comments).toHaveLength(1);
    expect(links(linked.comments[0]!)).toEqual([
      ["its page", `https://stamina.example.com/runs/${linked.runId}`],
    ]);

    const plain = await labelled(undefined);
    expect(plain.comments).toHaveLength(1);
    expect(plain.comments[0]).not.toContain("/runs/");
  });
});
