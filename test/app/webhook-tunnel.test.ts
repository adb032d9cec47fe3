// WEBHOOK_PROXY_URL: deliveries streamed by a smee.io channel (a local one, streaming as smee.io
// does) reach Stamina's own ingress with GitHub's headers, so a signed one is stored and handled
// and a forged one is refused as any other; what is not a delivery is skipped, a lost or refused
// connection is warned about once and made again, and nothing of it ends the process. Then the
// same through `stamina serve`, which stops the tunnel on SIGTERM.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openWebhookTunnel, type WebhookTunnel } from "../../src/app/webhook-tunnel.ts";
import { readSettings } from "../../src/settings.ts";
import { APP_PRIVATE_KEY, APP_PUBLIC_KEY, SECRET, startApp } from "../support/app-harness.ts";
import type { AppUnderTest } from "../support/app-harness.ts";
import { appEnv, startAppProcess } from "../support/app-process.ts";
import { startFakeGitHub } from "../support/fake-github/index.ts";
import { startSmeeChannel, type SmeeChannel } from "../support/smee-channel.ts";
import { examplePayload, waitFor } from "../support/webhooks.ts";

let app: AppUnderTest;
let channel: SmeeChannel | undefined;
let tunnel: WebhookTunnel | undefined;
beforeEach(async () => {
  app = await startApp();
});
afterEach(async () => {
  await tunnel?.stop();
  await channel?.close();
  tunnel = undefined;
  channel = undefined;
  await app.close();
});

/** GitHub's `installation.suspend`, which the app handles without calling GitHub. */
function suspended() {
  const payload = examplePayload<Record<string, unknown>>("installation", "suspend");
  payload.installation = { id: 1, account: { login: "Codertocat", type: "User" } };
  return { event: "installation", payload };
}

async function connected(options: Parameters<typeof startSmeeChannel>[0] = {}, retryMs?: number) {
  channel = await startSmeeChannel(options);
  const port = Number(new URL(app.url).port);
  tunnel = openWebhookTunnel(`${channel.url}?token=channel-sekrit`, {
    host: "127.0.0.1",
    port,
    log: app.log,
    ...(retryMs === undefined ? {} : { retryMs }),
  });
  const open = channel;
  await waitFor(() => (open.listeners() === 1 ? true : undefined), "the tunnel to connect");
  return open;
}

const lines = (level: number, text: string) =>
  app.logLines.filter((l) => l.level === level && String(l.msg).includes(text));
const WARN = 40;
const DEBUG = 20;

/** The tunnel's line for a delivery it posted: what the ingress answered. */
const posted = (deliveryId: string) =>
  waitFor(
    () => app.logLines.find((l) => l.deliveryId === deliveryId && l.status !== undefined)?.status,
    "the tunnel to post the delivery",
  );

describe("the development tunnel", () => {
  it("brings a signed delivery to the ingress, which stores and handles it", async () => {
    const open = await connected();
    const deliveryId = await open.deliver({ ...suspended(), secret: SECRET });
    expect(await posted(deliveryId)).toBe(202);
    expect(await app.handled(deliveryId)).toBe("ok");
    expect(await app.store.installations.isSuspended(1)).toBe(true);
    // Where it forwards is logged, without the channel URL's query.
    const target = app.url;
    expect(app.logLines.some((l) => l.target === target && l.source === open.url)).toBe(true);
    expect(JSON.stringify(app.logLines)).not.toContain("channel-sekrit");
  });

  it("a delivery signed with another secret is refused like any forged one", async () => {
    const open = await connected();
    const deliveryId = await open.deliver({ ...suspended(), secret: "not-the-app-secret" });
    expect(await posted(deliveryId)).toBe(401);
    expect(
      app.logLines.some(
        (l) =>
          l.deliveryId === deliveryId && l.msg === "webhook signature does not match; rejected",
      ),
    ).toBe(true);
    expect(await app.store.deliveries.outcome(deliveryId)).toBeUndefined();
    expect(await app.store.installations.isSuspended(1)).toBe(false);
  });

  it("skips an event that is not a delivery, and the next delivery still comes through", async () => {
    const open = await connected();
    open.sendRaw("not json");
    open.sendRaw(JSON.stringify({ "x-github-event": "issues", query: {} }));
    await waitFor(
      () => (lines(DEBUG, "not a webhook delivery").length === 1 ? true : undefined),
      "both events to be skipped",
    );
    expect(lines(WARN, "not a webhook delivery").length).toBe(1);
    const deliveryId = await open.deliver({ ...suspended(), secret: SECRET });
    expect(await app.handled(deliveryId)).toBe("ok");
  });

  it("warns once about a connection lost three times, and connects again", async () => {
    const open = await connected({ drop: 3 });
    expect(open.connections()).toBe(4);
    expect(lines(WARN, "the development tunnel lost").length).toBe(1);
    // Connected, and connected again after the warning; the reconnections after that are quiet.
    expect(lines(30, "the development tunnel is connected").length).toBe(2);
    const deliveryId = await open.deliver({ ...suspended(), secret: SECRET });
    expect(await app.handled(deliveryId)).toBe("ok");
  });

  it("warns once when the ingress cannot be reached, and goes on", async () => {
    channel = await startSmeeChannel();
    const open = channel;
    const closed = await app.close().then(() => Number(new URL(app.url).port));
    app = await startApp();
    tunnel = openWebhookTunnel(open.url, { host: "127.0.0.1", port: closed, log: app.log });
    await waitFor(() => (open.listeners() === 1 ? true : undefined), "the tunnel to connect");
    await open.deliver({ ...suspended(), secret: SECRET });
    await open.deliver({ ...suspended(), secret: SECRET });
    await waitFor(
      () => (lines(DEBUG, "could not post a delivery").length === 1 ? true : undefined),
      "both deliveries to fail",
    );
    expect(lines(WARN, "could not post a delivery").map((l) => l.msg)).toEqual([
      `the development tunnel could not post a delivery to http://127.0.0.1:${closed}/api/github/webhooks (ECONNREFUSED)`,
    ]);
  });

  it("warns once about a channel that refuses it, tries again, and stops when told", async () => {
    const open = await connected({ refuse: 2 }, 50);
    expect(open.connections()).toBe(3);
    const refused = lines(WARN, "refused it");
    expect(refused.map((l) => l.msg)).toEqual([
      `the development tunnel's channel ${open.url} refused it (Non-200 status code (404)): check WEBHOOK_PROXY_URL; trying again every 0.05 s`,
    ]);
    await tunnel?.stop();
    await waitFor(() => (open.listeners() === 0 ? true : undefined), "the stream to close");
  });
});

describe("stamina serve with WEBHOOK_PROXY_URL", () => {
  it("refuses a WEBHOOK_PROXY_URL that is not an http(s) URL, naming it", () => {
    expect(() => readSettings({ WEBHOOK_PROXY_URL: "smee.io/abc" })).toThrow(
      "Invalid environment: WEBHOOK_PROXY_URL: must be a smee.io channel's http(s) URL, or unset",
    );
    expect(readSettings({ WEBHOOK_PROXY_URL: "" }).webhookProxyUrl).toBeUndefined();
  });

  it("forwards the channel's deliveries to its ingress, and stops the tunnel on SIGTERM", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stamina-tunnel-"));
    const github = await startFakeGitHub({ appId: 1, appPublicKeyPem: APP_PUBLIC_KEY });
    const open = await startSmeeChannel();
    try {
      const env = appEnv({
        dir,
        privateKey: APP_PRIVATE_KEY,
        webhookSecret: SECRET,
        githubHost: github.host,
        modelKey: "sk-ant-unused",
        modelUrl: "http://127.0.0.1:9",
      });
      const served = startAppProcess("serve", { ...env, WEBHOOK_PROXY_URL: open.url });
      await served.waitForLog(/the development tunnel is connected/, "the tunnel");
      const deliveryId = await open.deliver({ ...suspended(), secret: SECRET });
      await served.waitForLog(
        new RegExp(`"deliveryId":"${deliveryId}"[^\\n]*"status":202`),
        "the delivery through the tunnel",
      );
      expect(await served.stop()).toBe(0);
      expect(open.listeners()).toBe(0);
    } finally {
      await open.close();
      await github.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
