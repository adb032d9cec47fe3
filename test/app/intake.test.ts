// Intake under load, in process: the real webhook server and a worker against
// the fake GitHub and the scripted model. The same delivery posted ten times
// at once makes one run; twenty labels on twenty issues at once make twenty
// runs, which the worker runs within the global and per-installation caps.
import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { WEBHOOK_PATH } from "../../src/app/app.ts";
import { createStaminaServer, listen } from "../../src/app/server.ts";
import { createGitHubClients } from "../../src/github/client.ts";
import { createGitHubPort } from "../../src/github/port.ts";
import { createAnthropicModel } from "../../src/model/anthropic.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { executeRun } from "../../src/runs/execute-run.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { Worker } from "../../src/runs/worker.ts";
import { createSandbox } from "../../src/sandbox/sandbox.ts";
import { appKeyPair } from "../support/app-keys.ts";
import { byStep } from "../support/by-step.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import {
  reply,
  startModelServer,
  text,
  toolUse,
  type ModelServer,
} from "../support/model-server/index.ts";
import { examplePayload, postWebhook, waitFor } from "../support/webhooks.ts";

const keys = appKeyPair();
const SECRET = "intake-webhook-secret";
const MODEL_KEY = "sk-ant-intake-key";
const LIMITS = { global: 3, perInstallation: 2 };
const OWNERS = { 1: "acme", 2: "octo" } as const;

let dir: string;
let github: FakeGitHub;
let model: ModelServer;
let store: Store;
let server: Server;
let worker: Worker | undefined;
let url: string;
/** What the worker runs at once, overall and per installation, at its highest. */
let peak: { all: number; perInstallation: Record<number, number> };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "stamina-intake-"));
  github = await startFakeGitHub({ appId: 1, appPublicKeyPem: keys.publicKey });
  for (const [id, owner] of Object.entries(OWNERS)) {
    github.addInstallation(Number(id), owner);
    await github.createRepository({
      owner,
      name: "app",
      installationId: Number(id),
      files: { "a.txt": "one\n" },
    });
    github.setPermission(owner, "app", "maintainer", "write");
  }
  model = await startModelServer(
    byStep(
      [
        reply(toolUse("bash", { command: "sleep 0.3; printf 'two\\n' > a.txt" })),
        reply(text("Done.")),
        reply(text("a.txt says two.")),
      ],
      200,
    ),
    { apiKey: MODEL_KEY },
  );
  store = await openStore({ sqlitePath: join(dir, "stamina.db"), redactor: createRedactor() });
  const log = pino({ level: "silent" });
  const clients = createGitHubClients({
    appId: 1,
    privateKey: keys.privateKey,
    baseUrl: github.apiUrl,
    log,
    retries: false,
  });
  const probot = new Probot({
    appId: 1,
    privateKey: keys.privateKey,
    secret: SECRET,
    log,
    baseUrl: github.apiUrl,
    Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
  });
  peak = { all: 0, perInstallation: {} };
  const running = { all: 0, perInstallation: {} as Record<number, number> };
  const port = createGitHubPort(clients, github.url);
  worker = new Worker({
    store,
    workerId: "worker-1",
    concurrency: 5,
    limits: LIMITS,
    leaseMs: 60_000,
    pollMs: 50,
    log,
    execute: async (run, signal, drain) => {
      const i = run.installationId;
      running.all++;
      running.perInstallation[i] = (running.perInstallation[i] ?? 0) + 1;
      peak.all = Math.max(peak.all, running.all);
      peak.perInstallation[i] = Math.max(peak.perInstallation[i] ?? 0, running.perInstallation[i]);
      try {
        return await executeRun(
          run,
          {
            store,
            github: port,
            sandbox: createSandbox({ kind: "process" }),
            createModel: (id) =>
              createAnthropicModel({ apiKey: MODEL_KEY, baseURL: model.url, model: id }),
            dataDir: join(dir, "data"),
            commandTimeoutMs: 20_000,
            maxTokens: 1_000,
            log,
          },
          signal,
          drain,
        );
      } finally {
        running.all--;
        running.perInstallation[i]--;
      }
    },
  });
  server = await createStaminaServer(probot, {
    store,
    clients,
    log,
    webhookSecret: SECRET,
    onRunQueued: () => worker?.wake(),
  });
  url = `http://127.0.0.1:${await listen(server, 0, "127.0.0.1")}${WEBHOOK_PATH}`;
});

afterEach(async () => {
  await worker?.stop();
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  await model.close();
  await github.close();
  rmSync(dir, { recursive: true, force: true });
});

function labeled(installationId: 1 | 2, issue: number) {
  const payload = examplePayload<{
    issue: { number: number; title: string };
    label: { name: string };
    sender: { login: string };
    repository: { name: string; full_name: string; owner: { login: string } };
  }>("issues", "labeled", { installationId });
  const owner = OWNERS[installationId];
  payload.repository.owner.login = owner;
  payload.repository.name = "app";
  payload.repository.full_name = `${owner}/app`;
  payload.issue.number = issue;
  payload.issue.title = `Make it two (${issue})`;
  payload.label.name = "stamina";
  payload.sender.login = "maintainer";
  return payload;
}

describe("intake", () => {
  it("makes one run of a delivery posted ten times at once", async () => {
    const payload = labeled(1, 1);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        postWebhook({ url, secret: SECRET, event: "issues", payload, deliveryId: "same" }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(202));
    expect(answers.filter((a) => a.body.includes("Already received"))).toHaveLength(9);
    await waitFor(async () => (await store.deliveries.outcome("same")) ?? undefined, "the handler");
    expect(await store.runs.list()).toHaveLength(1);
    expect(github.issueComments("acme", "app", 1)).toHaveLength(1);
    expect(github.reactions("acme", "app", 1)).toHaveLength(1);
  });

  it("makes twenty runs of twenty labels at once, and runs them within the caps", async () => {
    const labels = [1, 2].flatMap((installation) =>
      Array.from({ length: 10 }, (_, i) => labeled(installation as 1 | 2, i + 1)),
    );
    const answers = await Promise.all(
      labels.map((payload) => postWebhook({ url, secret: SECRET, event: "issues", payload })),
    );
    expect(answers.every((a) => a.status === 202)).toBe(true);
    worker!.start();
    const runs = await waitFor(
      async () => {
        const all = await store.runs.list();
        return all.length === 20 && all.every((r) => r.finishedAt !== null) ? all : undefined;
      },
      "twenty finished runs",
      90_000,
    );
    expect(runs.map((r) => r.state)).toEqual(Array(20).fill("succeeded"));
    expect(github.pulls("acme", "app")).toHaveLength(10);
    expect(github.pulls("octo", "app")).toHaveLength(10);
    expect(peak.all).toBe(LIMITS.global);
    expect(Math.max(...Object.values(peak.perInstallation))).toBe(LIMITS.perInstallation);
  }, 120_000);
});
