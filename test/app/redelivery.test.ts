// A delivery refused for load is not lost: the fake GitHub delivers a real signed issues.labeled
// while the ingress is full (slow bodies held open), gets 503; once the slow bodies end, Stamina
// finds the delivery in GitHub's list of the app's deliveries, asks for another attempt, and the
// redelivery (the same guid) is stored and handled once.
import { createServer } from "node:http";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRedelivery } from "../../src/app/redeliver.ts";
import { createGitHubClients } from "../../src/github/client.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import {
  APP_PRIVATE_KEY,
  APP_PUBLIC_KEY,
  SECRET,
  startApp,
  type AppUnderTest,
} from "../support/app-harness.ts";
import { labeledIssuePayload, waitFor } from "../support/webhooks.ts";
import { rawPost, untilFull } from "./raw-post.ts";

const ORG = "octo-org";
const REPO = "app";

let github: FakeGitHub;
let app: AppUnderTest;

beforeEach(async () => {
  github = await startFakeGitHub({ appId: 1, appPublicKeyPem: APP_PUBLIC_KEY });
  github.addInstallation(1, ORG);
  await github.createRepository({
    owner: ORG,
    name: REPO,
    installationId: 1,
    files: { "README.md": "# app\n" },
  });
  github.setPermission(ORG, REPO, "maintainer", "write");
});

afterEach(async () => {
  app.server.closeAllConnections();
  await app.close();
  await github.close();
});

/** Bodies held open part-way, filling the ingress; `finish` ends them (refused for signature). */
async function fill(count: number) {
  const held = Array.from({ length: count }, (_, i) =>
    rawPost({
      url: app.url,
      headers: {
        "x-github-delivery": `slow-${i}`,
        "x-github-event": "issues",
        "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
      },
      size: 10_000,
      hold: 100,
    }),
  );
  await untilFull(app.url);
  return async () => {
    for (const post of held) post.finish();
    return Promise.all(held.map(async (p) => (await p.answer).status));
  };
}

describe("a delivery refused for load", () => {
  it("is asked of GitHub again once there is room, then stored and handled once", async () => {
    app = await startApp({
      apiUrl: github.apiUrl,
      webhook: { maxReading: 2 },
      redelivery: { backoffMs: 10, sweepMs: 60_000 },
    });
    github.setWebhook({ url: app.url, secret: SECRET });
    const release = await fill(2);
    const payload = labeledIssuePayload({
      owner: ORG,
      repo: REPO,
      issue: 1,
      title: "Fix the thing",
      installationId: 1,
    });
    const refused = await github.deliver("issues", payload);
    expect(refused.statusCode).toBe(503);
    expect(await app.store.deliveries.outcome(refused.guid)).toBeUndefined();
    await waitFor(async () => {
      const pending = await app.store.deliveries.awaitingRedelivery();
      return pending.some((n) => n.guid === refused.guid) ? true : undefined;
    }, "the refusal to be noted");

    expect(await release()).toEqual([401, 401]);

    expect(await app.handled(refused.guid)).toBe("ok");
    expect(await app.store.deliveries.askedToResend(refused.guid)).toBe(true);
    const lists = github.requests.filter((r) => r.path === "/api/v3/app/hook/deliveries");
    expect(lists.length).toBeGreaterThan(0);
    expect(lists.every((r) => r.authorization === "jwt")).toBe(true);
    expect(
      github.requests.filter(
        (r) => r.path === `/api/v3/app/hook/deliveries/${refused.id}/attempts`,
      ),
    ).toHaveLength(1);
    const sent = github.hookDeliveries().filter((d) => d.guid === refused.guid);
    expect(sent.map((d) => [d.redelivery, d.statusCode])).toEqual([
      [false, 503],
      [true, 202],
    ]);
    // Handled once: one run queued for the issue, one tracking comment.
    expect(await app.store.runs.list()).toHaveLength(1);
    expect(await app.store.deliveries.awaitingRedelivery()).toEqual([]);
  });

  it("gives up after its tries with a warning that says what the operator can do", async () => {
    app = await startApp({
      apiUrl: github.apiUrl,
      webhook: { maxReading: 1 },
      redelivery: { backoffMs: 1, maxAttempts: 2, sweepMs: 20 },
    });
    github.setWebhook({ url: app.url, secret: SECRET });
    const release = await fill(1);
    const refused = await github.deliver(
      "issues",
      labeledIssuePayload({
        owner: ORG,
        repo: REPO,
        issue: 2,
        title: "Another",
        installationId: 1,
      }),
    );
    expect(refused.statusCode).toBe(503);
    // GitHub refuses every attempt, as it would a delivery too old to send again.
    github.failNext(
      "POST",
      /\/attempts$/,
      { status: 422, body: { message: "Validation Failed" } },
      10,
    );
    expect(await release()).toEqual([401]);
    const warning = await waitFor(
      () =>
        app.logLines.find((l) => l.deliveryId === refused.guid && /gave up/.test(String(l.msg))),
      "the warning",
    );
    expect(warning.level).toBe(40);
    expect(String(warning.msg)).toContain(refused.guid);
    expect(String(warning.msg)).toContain("Advanced settings");
    expect(await app.store.deliveries.awaitingRedelivery()).toEqual([]);
  });
});

describe("the redelivery's look-up", () => {
  it("reads GitHub's deliveries page by page to find an older one, and asks only for it", async () => {
    app = await startApp({ apiUrl: github.apiUrl });
    // A webhook target of its own: the first delivery is refused for load, the rest accepted.
    let answered = 0;
    const target = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(answered++ === 0 ? 503 : 202).end());
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    const address = target.address();
    github.setWebhook({
      url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`,
      secret: SECRET,
    });
    try {
      const payload = labeledIssuePayload({ owner: ORG, repo: REPO, issue: 3, title: "Old" });
      const refused = await github.deliver("issues", payload);
      for (let i = 0; i < 150; i++) await github.deliver("issues", payload);
      await app.store.deliveries.refusedForLoad(refused.guid);
      await app.store.deliveries.refusedForLoad("00000000-0000-4000-8000-000000000000");
      const clients = createGitHubClients({
        appId: 1,
        privateKey: APP_PRIVATE_KEY,
        baseUrl: github.apiUrl,
        log: app.log,
        retries: false,
      });
      const redelivery = createRedelivery({
        store: app.store,
        request: clients.appRequest,
        log: app.log,
      });
      await redelivery.sweep();
      const lists = github.requests.filter((r) => r.path === "/api/v3/app/hook/deliveries");
      // 152 deliveries, 100 a page: the forged id is looked for in both pages, and not found.
      expect(lists.map((r) => r.query.cursor === undefined)).toEqual([true, false]);
      expect(
        github.requests.filter((r) => r.path.endsWith("/attempts")).map((r) => r.path),
      ).toEqual([`/api/v3/app/hook/deliveries/${refused.id}/attempts`]);
      expect(await app.store.deliveries.askedToResend(refused.guid)).toBe(true);
      expect(await app.store.deliveries.awaitingRedelivery()).toEqual([
        expect.objectContaining({ guid: refused.guid, attempts: 1 }),
        expect.objectContaining({ guid: "00000000-0000-4000-8000-000000000000", attempts: 1 }),
      ]);
    } finally {
      target.closeAllConnections();
      await new Promise((resolve) => target.close(resolve));
    }
  });
});
