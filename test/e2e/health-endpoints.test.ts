// The health endpoints of real processes against the fakes: a worker answers /healthz, /readyz
// and /metrics on its own port (STAMINA_METRICS_PORT) with `serve` apart on PORT, each counting
// its own part of a run; `all` whose
// sandbox cannot start goes on serving and answers 503 saying why; a worker whose port is taken
// stops before it claims. The container's health check (scripts/healthcheck.mjs) agrees.
import { execFile } from "node:child_process";
import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorld, type World } from "../support/world.ts";
import { waitFor } from "../support/webhooks.ts";

let world: World;
beforeAll(async () => {
  world = await startWorld({ short: true });
}, 60_000);
afterAll(async () => {
  await world?.close();
});

interface Readyz {
  ok: boolean;
  failed: string[];
  checks: Array<{ name: string; ok: boolean; detail: string }>;
}

async function readyz(base: string): Promise<{ status: number; body: Readyz }> {
  const response = await fetch(`${base}/readyz`);
  return { status: response.status, body: (await response.json()) as Readyz };
}

/** The container's HEALTHCHECK command, run here: its exit code and what it printed. */
function healthcheck(env: Record<string, string>, args: string[] = []) {
  return new Promise<{ code: number; out: string }>((resolve) => {
    execFile(
      process.execPath,
      ["scripts/healthcheck.mjs", ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 30_000 },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? -1) : 0, out: stdout }),
    );
  });
}

/** A port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("health endpoints of the processes", () => {
  it("a worker answers on its own port, serve apart on PORT", async () => {
    const serve = world.start("serve");
    const serveBase = (await serve.webhookUrl()).replace(/\/api\/github\/webhooks$/, "");
    // Started once serve has migrated the SQLite file: two first starts would migrate it at once.
    const worker = world.start("worker", { STAMINA_SANDBOX: "bubblewrap" });
    const workerBase = await worker.opsUrl();
    await worker.waitForLog(/worker started/, "the worker to start");

    const live = await fetch(`${workerBase}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ ok: true });
    const workerReady = await waitFor(async () => {
      const answer = await readyz(workerBase);
      return answer.status === 200 ? answer : undefined;
    }, "the worker to be ready");
    expect(workerReady.body.checks.map((c) => [c.name, c.ok])).toEqual([
      ["database", true],
      ["sandbox", true],
      ["worker", true],
    ]);
    expect(workerReady.body.checks[1]?.detail).toMatch(/^bubblewrap \d+\.\d+\.\d+ starts/);
    // The operations port serves health, not webhooks.
    expect((await fetch(`${workerBase}/api/github/webhooks`, { method: "POST" })).status).toBe(404);

    expect((await fetch(`${serveBase}/healthz`)).status).toBe(200);
    const serveReady = await readyz(serveBase);
    expect(serveReady.status).toBe(200);
    // serve runs no command and claims no run: its readiness is the database's.
    expect(serveReady.body.checks.map((c) => c.name)).toEqual(["database"]);
    expect(serve.logs()).not.toContain('"opsPort"');

    const workerPort = new URL(workerBase).port;
    const servePort = new URL(serveBase).port;
    const forWorker = await healthcheck({ STAMINA_METRICS_PORT: workerPort, PORT: servePort });
    expect(forWorker).toEqual({ code: 0, out: `ready (http://127.0.0.1:${workerPort}/readyz)\n` });
    // Where nothing answers on STAMINA_METRICS_PORT (serve's container), it asks PORT.
    const forServe = await healthcheck({
      STAMINA_METRICS_PORT: String(await closedPort()),
      PORT: servePort,
    });
    expect(forServe).toEqual({ code: 0, out: `ready (http://127.0.0.1:${servePort}/readyz)\n` });

    // One run through both: serve counts the delivery, the worker the run, each on its own port.
    expect((await world.label(await serve.webhookUrl(), 1)).status).toBe(202);
    expect(await world.finished(1)).toBe("succeeded");
    const steps = (await world.audit(1)).filter((e) => e.type === "model.response").length;
    const series = async (base: string, name: string) => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const line = text
        .split("\n")
        .find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
      return line === undefined ? undefined : Number(line.split(" ").at(-1));
    };
    expect(await series(serveBase, 'stamina_webhook_deliveries_total{outcome="accepted"}')).toBe(1);
    expect(await series(serveBase, "stamina_steps_total")).toBe(0);
    await waitFor(
      async () =>
        (await series(workerBase, "stamina_runs_finished_total")) === 1 ? true : undefined,
      "the worker's metrics to count the run's end",
    );
    expect(await series(workerBase, "stamina_steps_total")).toBe(steps);
    expect(steps).toBeGreaterThan(0);
    expect(await series(workerBase, "stamina_webhook_deliveries_total")).toBeUndefined();

    expect(await worker.stop()).toBe(0);
    expect(await serve.stop()).toBe(0);
  }, 120_000);

  it("all whose sandbox cannot start serves webhooks and answers 503 saying why", async () => {
    const app = world.start("all", {
      STAMINA_SANDBOX: "bubblewrap",
      STAMINA_BWRAP: "/nonexistent/bwrap",
    });
    const base = (await app.webhookUrl()).replace(/\/api\/github\/webhooks$/, "");
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const { status, body } = await readyz(base);
    expect(status).toBe(503);
    expect(body.checks.map((c) => [c.name, c.ok])).toEqual([
      ["database", true],
      ["sandbox", false],
      ["worker", false],
    ]);
    expect(body.failed).toHaveLength(2);
    expect(body.failed[0]).toMatch(
      /^sandbox: \/nonexistent\/bwrap --version failed: .* Install bubblewrap/,
    );
    expect(body.failed[1]).toBe(
      "worker: no worker was started, so no run is claimed: the sandbox could not start (see the sandbox check); fix it and restart Stamina",
    );

    const check = await healthcheck({
      STAMINA_METRICS_PORT: String(await closedPort()),
      PORT: new URL(base).port,
    });
    expect(check.code).toBe(1);
    expect(check.out).toContain(
      `not ready (http://127.0.0.1:${new URL(base).port}/readyz answered 503):`,
    );
    expect(check.out).toContain("\n- sandbox: /nonexistent/bwrap --version failed");
    expect(await app.stop()).toBe(0);
  }, 120_000);

  it("a worker whose health port is taken stops before it claims, naming STAMINA_METRICS_PORT", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const worker = world.start("worker", { STAMINA_METRICS_PORT: String(port) });
      expect(await worker.exited).toBe(78);
      expect(worker.logs()).toContain(
        `stamina: STAMINA_METRICS_PORT: port ${port} on 127.0.0.1 is in use by another process (another worker on this machine?): give each process its own STAMINA_METRICS_PORT, or 0 for any free port`,
      );
      expect(worker.logs()).not.toContain("worker started");
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  }, 120_000);
});
