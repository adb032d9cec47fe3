// The app's webhook server in process, as the handler tests drive it: the
// real ingress and Probot, a SQLite store, log lines captured, and GitHub's
// API answered by nock (installation tokens answered already), or by the fake
// GitHub at `apiUrl` (beside the run harness: app-beside-harness.ts).
import type { Server } from "node:http";
import { Writable } from "node:stream";
import nock from "nock";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { WEBHOOK_PATH, type AppOptions } from "../../src/app/app.ts";
import { createRedelivery, type RedeliveryOptions } from "../../src/app/redeliver.ts";
import { createStaminaServer, listen } from "../../src/app/server.ts";
import { createGitHubClients } from "../../src/github/client.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import type { Run } from "../../src/store/types.ts";
import { appKeyPair } from "./app-keys.ts";
import { postWebhook, waitFor } from "./webhooks.ts";

const keys = appKeyPair();
/** The public half, for a fake GitHub (test/support/fake-github) that checks the app's JWTs. */
export const APP_PUBLIC_KEY = keys.publicKey;
/** The private half, for a worker in the same test that talks to that fake GitHub too. */
export const APP_PRIVATE_KEY = keys.privateKey;
export const SECRET = "webhook-secret-for-tests";
export const API = "https://api.github.com";

export interface AppUnderTest {
  store: Store;
  probot: Probot;
  log: pino.Logger;
  logLines: Array<Record<string, unknown>>;
  url: string;
  /** The HTTP server, for a test that watches its connections. */
  server: Server;
  /** Runs whose worker was told to stop them (the in-process worker's hook). */
  cancelRequested: Run[];
  deliver(event: string, payload: unknown, deliveryId?: string): ReturnType<typeof postWebhook>;
  /** The outcome once the delivery was handled. */
  handled(deliveryId: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * `apiUrl`: GitHub is the fake GitHub at that URL (app 1, APP_PUBLIC_KEY), not nock. `store`:
 * the app shares a store the test also runs runs on (closed by its owner, not here). `now`: the
 * clock Stamina's GitHub clients sign with, when the fake GitHub keeps a clock of the test's.
 * `privateKey`: the app's key, when the fake GitHub knows it by another than APP_PUBLIC_KEY.
 * `webhook`: the ingress's limits (the freshness window, say). `redelivery`: the timings of
 * asking GitHub again for deliveries refused for load (else the server's own, a sweep a minute).
 */
export async function startApp(
  options: {
    apiUrl?: string;
    store?: Store;
    now?: () => number;
    privateKey?: string;
    webhook?: AppOptions["webhook"];
    redelivery?: Pick<RedeliveryOptions, "backoffMs" | "maxAttempts" | "sweepMs" | "maxPages">;
    limits?: AppOptions["limits"];
    /** STAMINA_PUBLIC_URL: the tracking comment links to the run's page there. */
    publicUrl?: string;
  } = {},
): Promise<AppUnderTest> {
  const baseUrl = options.apiUrl ?? API;
  const privateKey = options.privateKey ?? keys.privateKey;
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  const logLines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  const store =
    options.store ?? (await openStore({ sqlitePath: ":memory:", redactor: createRedactor() }));
  const probot = new Probot({
    appId: 1,
    privateKey,
    secret: SECRET,
    log,
    baseUrl,
    Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
  });
  const clients = createGitHubClients({
    appId: 1,
    privateKey,
    baseUrl,
    log,
    retries: false,
    ...(options.now ? { now: options.now } : {}),
  });
  const cancelRequested: Run[] = [];
  const redelivery =
    options.redelivery &&
    createRedelivery({
      store,
      request: clients.appRequest,
      log,
      maxPending: options.webhook?.maxPendingRedeliveries,
      ...(options.now ? { now: options.now } : {}),
      ...options.redelivery,
    });
  const server: Server = await createStaminaServer(probot, {
    store,
    clients,
    log,
    limits: options.limits,
    ...(options.publicUrl === undefined ? {} : { publicUrl: options.publicUrl }),
    webhookSecret: SECRET,
    // Deliveries are aged by the test's clock, when it keeps one.
    webhook: { ...(options.now ? { now: options.now } : {}), ...options.webhook },
    ...(redelivery ? { redelivery } : {}),
    onCancelRequested: (run) => cancelRequested.push(run),
  });
  const port = await listen(server, 0, "127.0.0.1");
  redelivery?.start();
  const url = `http://127.0.0.1:${port}${WEBHOOK_PATH}`;
  // Installation tokens, for Probot's client and Stamina's: not what these tests are about.
  if (options.apiUrl === undefined) {
    nock(API)
      .persist()
      .post(/\/app\/installations\/\d+\/access_tokens/)
      .reply(201, { token: "ghs_testtoken", expires_at: "2099-01-01T00:00:00Z", permissions: {} });
    // The repository's id, which Stamina's tokens name: looked up once per repository.
    nock(API)
      .persist()
      .get(/^\/repos\/[^/]+\/[^/]+$/)
      .optionally()
      .reply(200, (uri) => ({ id: 1296269, full_name: uri.slice("/repos/".length) }));
  }
  return {
    store,
    probot,
    log,
    logLines,
    url,
    server,
    cancelRequested,
    deliver: (event, payload, deliveryId) =>
      postWebhook({ url, secret: SECRET, event, payload, deliveryId }),
    handled: (deliveryId) =>
      waitFor(
        async () => (await store.deliveries.outcome(deliveryId)) ?? undefined,
        "the delivery to be handled",
      ),
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await redelivery?.stop();
      if (options.store === undefined) await store.close();
      nock.cleanAll();
      nock.enableNetConnect();
    },
  };
}

/** GitHub's answer to a permission check: `role` for `login` on the repository. */
export function permission(repoPath: string, login: string, role: string) {
  return nock(API)
    .get(`${repoPath}/collaborators/${login}/permission`)
    .reply(200, {
      permission: role === "maintain" ? "write" : role,
      role_name: role,
      user: { login },
    });
}
