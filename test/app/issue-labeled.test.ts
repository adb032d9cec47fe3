// The trigger, through the real ingress and Probot: GitHub's example payloads
// signed and posted over HTTP, GitHub's API answered by nock.
import type { Server } from "node:http";
import { Writable } from "node:stream";
import nock from "nock";
import pino from "pino";
import { Probot, ProbotOctokit } from "probot";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { replayUnhandled, WEBHOOK_PATH } from "../../src/app/app.ts";
import { createStaminaServer, listen } from "../../src/app/server.ts";
import { createGitHubClients } from "../../src/github/client.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { openStore } from "../../src/runs/open-store.ts";
import type { Store } from "../../src/runs/store.ts";
import { examplePayload, postWebhook, waitFor } from "../support/webhooks.ts";
import { appKeyPair } from "../support/app-keys.ts";

const { privateKey } = appKeyPair();
const SECRET = "webhook-secret-for-tests";
const API = "https://api.github.com";
const REPO = "/repos/Codertocat/Hello-World";
const CONFIG = `${REPO}/contents/.github%2Fstamina.yml`;

interface IssuesLabeled {
  label: { name: string };
  sender: { login: string };
}

let store: Store;
let server: Server;
let url: string;
let logLines: Array<Record<string, unknown>>;
let probot: Probot;
let log: pino.Logger;

beforeEach(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  logLines = [];
  log = pino(
    { level: "debug" },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  );
  store = await openStore({ sqlitePath: ":memory:", redactor: createRedactor() });
  probot = new Probot({
    appId: 1,
    privateKey,
    secret: SECRET,
    log,
    Octokit: ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } }),
  });
  const clients = createGitHubClients({ appId: 1, privateKey, baseUrl: API, log, retries: false });
  server = await createStaminaServer(probot, { store, clients, log, webhookSecret: SECRET });
  const port = await listen(server, 0, "127.0.0.1");
  url = `http://127.0.0.1:${port}${WEBHOOK_PATH}`;
  // Installation tokens, for Probot's client and Stamina's: not what these tests are about.
  nock(API)
    .persist()
    .post("/app/installations/1/access_tokens")
    .reply(201, { token: "ghs_testtoken", expires_at: "2099-01-01T00:00:00Z", permissions: {} });
});

afterEach(async () => {
  await new Promise((resolve) => server.close(resolve));
  await store.close();
  nock.cleanAll();
  nock.enableNetConnect();
});

function labeled(label: string, sender = "Codertocat") {
  const payload = examplePayload<IssuesLabeled>("issues", "labeled");
  payload.label.name = label;
  payload.sender.login = sender;
  return payload;
}

function deliver(payload: unknown) {
  return postWebhook({ url, secret: SECRET, event: "issues", payload });
}

function withConfig(yaml: string | null) {
  const scope = nock(API);
  if (yaml === null) {
    scope.get(CONFIG).reply(404, { message: "Not Found" });
    scope
      .get(`/repos/Codertocat/.github/contents/.github%2Fstamina.yml`)
      .reply(404, { message: "Not Found" });
  } else {
    scope.get(CONFIG).reply(200, yaml, { "content-type": "text/plain; charset=utf-8" });
  }
  return scope;
}

function permission(login: string, role: string) {
  return nock(API)
    .get(`${REPO}/collaborators/${login}/permission`)
    .reply(200, {
      permission: role === "maintain" ? "write" : role,
      role_name: role,
      user: { login },
    });
}

async function handled(deliveryId: string): Promise<string> {
  return waitFor(
    async () => (await store.deliveryOutcome(deliveryId)) ?? undefined,
    "the delivery to be handled",
  );
}

describe("issues.labeled", () => {
  it("from a writer: 👀, one tracking comment, and a queued run", async () => {
    const github = [
      withConfig(null),
      permission("Codertocat", "maintain"),
      nock(API)
        .post(`${REPO}/issues/1/reactions`, { content: "eyes" })
        .reply(201, { id: 1, content: "eyes" })
        .post(`${REPO}/issues/1/comments`, (body: { body: string }) =>
          body.body.includes("Stamina will work on this issue"),
        )
        .reply(201, { id: 99, body: "", html_url: "https://github.com/x" }),
    ];
    const posted = await deliver(labeled("stamina"));
    expect(posted.status).toBe(202);
    expect(await handled(posted.deliveryId)).toBe("ok");
    const runs = await store.listRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      state: "queued",
      owner: "Codertocat",
      repo: "Hello-World",
      issueNumber: 1,
      requestedBy: "Codertocat",
      trackingCommentId: 99,
      config: { label: "stamina", budget: { steps: 50 } },
    });
    for (const scope of github) expect(scope.isDone()).toBe(true);
    const events = await store.auditEvents(runs[0]!.id);
    expect(events.map((e) => e.type)).toEqual(["run.queued", "github.write", "github.write"]);
  });

  it("from a reader: a log line, nothing posted, no run", async () => {
    const github = [withConfig(null), permission("Codertocat", "read")];
    const posted = await deliver(labeled("stamina"));
    expect(posted.status).toBe(202);
    expect(await handled(posted.deliveryId)).toBe("ok");
    expect(await store.listRuns()).toHaveLength(0);
    for (const scope of github) expect(scope.isDone()).toBe(true);
    expect(logLines.some((l) => String(l.msg).includes("cannot write") && l.role === "read")).toBe(
      true,
    );
  });

  it("with another label: nothing at all", async () => {
    const github = withConfig(null);
    const posted = await deliver(labeled("bug"));
    expect(await handled(posted.deliveryId)).toBe("ok");
    expect(github.isDone()).toBe(true);
    expect(await store.listRuns()).toHaveLength(0);
  });

  it("honours the label the repository configures", async () => {
    withConfig("label: ai-please\n");
    permission("Codertocat", "write");
    nock(API)
      .post(`${REPO}/issues/1/reactions`)
      .reply(201, {})
      .post(`${REPO}/issues/1/comments`)
      .reply(201, { id: 7 });
    const posted = await deliver(labeled("ai-please"));
    expect(await handled(posted.deliveryId)).toBe("ok");
    expect(await store.listRuns()).toHaveLength(1);
  });

  it("acknowledges an event it does not act on without storing it", async () => {
    const posted = await postWebhook({
      url,
      secret: SECRET,
      event: "issues",
      payload: examplePayload("issues", "opened"),
    });
    expect(posted.status).toBe(202);
    expect(await store.deliveryOutcome(posted.deliveryId)).toBeUndefined();
  });

  it("rejects a forged signature at the server, before anything is stored", async () => {
    const posted = await postWebhook({
      url,
      secret: SECRET,
      signWith: "not-the-secret",
      event: "issues",
      payload: labeled("stamina"),
    });
    expect(posted.status).toBe(401);
    expect(await store.deliveryOutcome(posted.deliveryId)).toBeUndefined();
    expect(await store.listRuns()).toHaveLength(0);
  });

  it("makes no second run for a redelivered delivery id", async () => {
    withConfig(null);
    permission("Codertocat", "admin");
    const writes = nock(API)
      .post(`${REPO}/issues/1/reactions`)
      .once()
      .reply(201, {})
      .post(`${REPO}/issues/1/comments`)
      .once()
      .reply(201, { id: 5 });
    const payload = labeled("stamina");
    const first = await deliver(payload);
    await handled(first.deliveryId);
    const again = await postWebhook({
      url,
      secret: SECRET,
      event: "issues",
      payload,
      deliveryId: first.deliveryId,
    });
    expect(again.status).toBe(202);
    expect(again.body).toContain("Already received");
    expect(await store.listRuns()).toHaveLength(1);
    expect(writes.isDone()).toBe(true);
  });

  it("makes no second run while the issue has an active one", async () => {
    withConfig(null);
    permission("Codertocat", "admin");
    nock(API)
      .post(`${REPO}/issues/1/reactions`)
      .reply(201, {})
      .post(`${REPO}/issues/1/comments`)
      .reply(201, { id: 5 });
    const first = await deliver(labeled("stamina"));
    await handled(first.deliveryId);
    withConfig(null);
    permission("Codertocat", "admin");
    const second = await deliver(labeled("stamina"));
    expect(await handled(second.deliveryId)).toBe("ok");
    expect(await store.listRuns()).toHaveLength(1);
  });

  it("answers an invalid config with a comment naming the key, and no run", async () => {
    withConfig("budget:\n  steps: ten\n");
    permission("Codertocat", "write");
    let comment = "";
    const scope = nock(API)
      .post(`${REPO}/issues/1/comments`, (body: { body: string }) => {
        comment = body.body;
        return true;
      })
      .reply(201, { id: 3 });
    const posted = await deliver(labeled("stamina"));
    expect(await handled(posted.deliveryId)).toBe("ok");
    expect(scope.isDone()).toBe(true);
    expect(comment).toContain("`budget.steps` must be a whole number");
    expect(await store.listRuns()).toHaveLength(0);
  });

  it("answers YAML that does not parse with a comment, and no run", async () => {
    withConfig("label: [unclosed\n");
    permission("Codertocat", "write");
    const scope = nock(API)
      .post(`${REPO}/issues/1/comments`, (body: { body: string }) =>
        body.body.includes("not valid YAML"),
      )
      .reply(201, { id: 3 });
    const posted = await deliver(labeled("stamina"));
    expect(await handled(posted.deliveryId)).toBe("ok");
    expect(scope.isDone()).toBe(true);
    expect(await store.listRuns()).toHaveLength(0);
  });

  it("replays a delivery acknowledged but never handled (the process died after the 202)", async () => {
    withConfig(null);
    permission("Codertocat", "write");
    nock(API)
      .post(`${REPO}/issues/1/reactions`)
      .reply(201, {})
      .post(`${REPO}/issues/1/comments`)
      .reply(201, { id: 11 });
    await store.recordDelivery({
      id: "crashed-1",
      event: "issues",
      action: "labeled",
      installationId: 1,
      payload: JSON.stringify(labeled("stamina")),
    });
    expect(await replayUnhandled(probot, { store, log })).toBe(1);
    expect(await store.deliveryOutcome("crashed-1")).toBe("ok");
    expect(await store.listRuns()).toHaveLength(1);
    expect(await replayUnhandled(probot, { store, log })).toBe(0);
  });
});
