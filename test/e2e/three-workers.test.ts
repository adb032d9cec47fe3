// Three worker processes on one PostgreSQL and thirty queued runs: every run
// is claimed and executed exactly once (one claim, one model conversation,
// one pull request each), and more than one worker takes runs (how evenly
// they share them depends on the machine, and is not asserted).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedactor } from "../../src/observability/redact.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { openStore } from "../../src/store/open.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";
import { OWNER, REPO, startWorld, type World } from "../support/world.ts";

const RUNS = 30;
let database: TestDatabase;
let world: World;
beforeAll(async () => {
  database = await createTestDatabase("three_workers");
  world = await startWorld({ database: database.url, short: true });
}, 60_000);
afterAll(async () => {
  await world?.close();
  await database?.drop();
});

describe("three workers on PostgreSQL", () => {
  it("execute each of thirty queued runs exactly once, more than one of them taking runs", async () => {
    const requests: string[] = [];
    world.onRequest = (issue, step) => requests.push(`${issue}:${step}`);
    const issues = Array.from({ length: RUNS }, (_, i) => i + 1);
    const store = await openStore({
      database: { engine: "postgres", url: database.url },
      redactor: createRedactor(),
    });
    try {
      for (const issue of issues) {
        const created = await store.runs.create({
          installationId: 1,
          owner: OWNER,
          repo: REPO,
          issueNumber: issue,
          issueTitle: `Greeting lacks punctuation (${issue})`,
          issueBody: "greet() should say `Hello, NAME!`",
          requestedBy: "maintainer",
          deliveryId: `delivery-${issue}`,
          config: parseRepoConfig({ test: "grep -q 'Hello, ' greet.js" }),
        });
        expect(created.created).toBe(true);
      }
    } finally {
      await store.close();
    }

    const env = {
      STAMINA_WORKER_CONCURRENCY: "3",
      STAMINA_INSTALLATION_MAX_RUNS: "20",
      // The fake GitHub has no secondary rate limits; pacing writes would only slow the test.
      STAMINA_GITHUB_THROTTLE: "off",
    };
    for (const id of ["w1", "w2", "w3"]) world.start("worker", { ...env, STAMINA_WORKER_ID: id });
    for (const issue of issues) expect(await world.finished(issue)).toBe("succeeded");

    const pulls = world.github.pulls(OWNER, REPO);
    expect(pulls).toHaveLength(RUNS);
    expect(new Set(pulls.map((p) => p.head)).size).toBe(RUNS);
    expect(requests.sort()).toEqual(
      issues.flatMap((i) => [1, 2, 3].map((s) => `${i}:${s}`)).sort(),
    );
    const workers = new Set<unknown>();
    for (const issue of issues) {
      const claims = (await world.audit(issue)).filter((e) => e.type === "run.claimed");
      expect(claims).toHaveLength(1);
      workers.add(claims[0]!.data.worker);
      expect(world.github.issueComments(OWNER, REPO, issue)).toHaveLength(1);
    }
    expect(workers.size).toBeGreaterThan(1);
  }, 180_000);
});
