// The webhook ingress bounds what an unauthenticated client can make it hold: a body past the
// cap is refused with at most the cap read (unread, when its Content-Length says so) and the
// connection closed, never drained, nothing stored; past the reading limit, posts are refused at
// once (503, Retry-After) without their bodies being read; and a flood of forged delivery ids
// neither grows the redelivery notes without bound nor makes Stamina ask GitHub for any of them.
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { APP_PUBLIC_KEY, startApp, type AppUnderTest } from "../support/app-harness.ts";
import { waitFor } from "../support/webhooks.ts";
import { connectionBytes, rawPost, untilFull } from "./raw-post.ts";

const CAP = 1024 * 1024;
/** One read of a socket: what the server may take in past the cap before it stops. */
const READ_CHUNK = 64 * 1024;
/** A request's line and headers, and the chunked framing of a body, at most. */
const HEAD = 1024;
/**
 * What the server reads of a body it never asks for: Node's read-ahead before the handler runs
 * (the socket's reads that carried the headers, and one more before it pauses).
 */
const UNREAD = HEAD + 3 * READ_CHUNK;
const LARGE = 24 * 1024 * 1024;

let github: FakeGitHub;
let app: AppUnderTest;
let bytes: ReturnType<typeof connectionBytes>;

const headers = (id: string = randomUUID()) => ({
  "x-github-delivery": id,
  "x-github-event": "issues",
  "x-hub-signature-256": `sha256=${"0".repeat(64)}`,
});

async function start(webhook: { maxReading?: number; maxPendingRedeliveries?: number }) {
  app = await startApp({
    apiUrl: github.apiUrl,
    webhook: { maxBytes: CAP, ...webhook },
    redelivery: { backoffMs: 10, sweepMs: 60_000 },
  });
  bytes = connectionBytes(app.server);
}

beforeEach(async () => {
  github = await startFakeGitHub({ appId: 1, appPublicKeyPem: APP_PUBLIC_KEY });
  github.addInstallation(1, "octo-org");
});

afterEach(async () => {
  app.server.closeAllConnections();
  await app.close();
  await github.close();
});

async function nothingStored(id: string): Promise<void> {
  expect(await app.store.deliveries.outcome(id)).toBeUndefined();
  expect(await app.store.deliveries.unhandled()).toEqual([]);
  expect(await app.store.deliveries.awaitingRedelivery()).toEqual([]);
}

describe("a body past the cap", () => {
  it("is refused unread when its Content-Length says so, and the refusal says how to raise the cap", async () => {
    await start({});
    const id = randomUUID();
    const post = rawPost({ url: app.url, headers: headers(id), size: LARGE });
    const answer = await post.answer;
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({
      message:
        "The payload is larger than Stamina's limit of 1024 KiB; the operator can raise it with STAMINA_WEBHOOK_MAX_KB.",
    });
    await waitFor(() => (bytes.closed.length === 1 ? true : undefined), "the connection to close");
    const read = bytes.closed[0] ?? Infinity;
    process.stdout.write(`24 MB with Content-Length: the server read ${read} bytes\n`);
    expect(read).toBeLessThanOrEqual(UNREAD);
    await nothingStored(id);
    const warned = app.logLines.filter((l) => l.deliveryId === id);
    expect(warned).toEqual([
      expect.objectContaining({
        level: 40,
        event: "issues",
        msg: "webhook refused: its body is larger than STAMINA_WEBHOOK_MAX_KB",
      }),
    ]);
  });

  it("is refused chunked after at most the cap, the connection closed rather than drained", async () => {
    await start({});
    const id = randomUUID();
    const post = rawPost({ url: app.url, headers: headers(id), size: LARGE, chunked: true });
    const answer = await post.answer;
    expect(answer.status).toBe(413);
    expect(answer.headers).toMatch(/connection: close/i);
    await waitFor(() => (bytes.closed.length === 1 ? true : undefined), "the connection to close");
    const read = bytes.closed[0] ?? Infinity;
    process.stdout.write(`24 MB chunked: the server read ${read} bytes (cap ${CAP})\n`);
    expect(read).toBeGreaterThan(CAP);
    expect(read).toBeLessThanOrEqual(CAP + READ_CHUNK + HEAD);
    await nothingStored(id);
    expect(app.logLines.filter((l) => l.deliveryId === id)).toHaveLength(1);
  });
});

describe("posts past the reading limit", () => {
  it("are refused at once with 503 and Retry-After, their bodies unread", async () => {
    await start({ maxReading: 4 });
    // Four bodies held open part-way fill the ingress.
    const held = Array.from({ length: 4 }, () =>
      rawPost({ url: app.url, headers: headers(), size: 10_000, hold: 100 }),
    );
    await waitFor(() => (bytes.open() === 4 ? true : undefined), "the held connections");
    await untilFull(app.url);
    const before = bytes.closed.length;
    const flood = Array.from({ length: 40 }, () =>
      rawPost({ url: app.url, headers: headers(), size: CAP }),
    );
    const answers = await Promise.all(flood.map((p) => p.answer));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 503));
    expect(answers[0]?.headers).toMatch(/retry-after: 60/i);
    await waitFor(
      () => (bytes.closed.length === before + 40 ? true : undefined),
      "the refused to close",
    );
    const refused = bytes.closed.slice(before);
    const total = refused.reduce((a, b) => a + b, 0);
    process.stdout.write(
      `40 posts of 1 MiB refused for load: the server read ${total} bytes of ${40 * CAP} sent (${Math.max(...refused)} at most from one)\n`,
    );
    for (const read of refused) expect(read).toBeLessThanOrEqual(UNREAD);
    for (const post of held) post.finish();
    const ends = await Promise.all(held.map((p) => p.answer));
    // Read whole, then refused for their signature: the ingress read them as it should.
    expect(ends.map((a) => a.status)).toEqual([401, 401, 401, 401]);
  });

  it("note forged ids up to a bound and ask GitHub for none of them", async () => {
    await start({ maxReading: 1, maxPendingRedeliveries: 10 });
    const held = rawPost({ url: app.url, headers: headers(), size: 10_000, hold: 100 });
    await waitFor(() => (bytes.open() === 1 ? true : undefined), "the held connection");
    await untilFull(app.url);
    const flood = Array.from({ length: 50 }, () =>
      rawPost({ url: app.url, headers: headers(), size: 100 }),
    );
    expect((await Promise.all(flood.map((p) => p.answer))).every((a) => a.status === 503)).toBe(
      true,
    );
    const noted = await waitFor(async () => {
      const pending = await app.store.deliveries.awaitingRedelivery(1000);
      return pending.length === 10 ? pending : undefined;
    }, "ten notes");
    expect(
      app.logLines.filter((l) => /await redelivery; this one/.test(String(l.msg))),
    ).toHaveLength(1);
    held.finish();
    expect((await held.answer).status).toBe(401);
    // Room again: Stamina looks the ids up in GitHub's list, which has none of them.
    await waitFor(
      () =>
        github.requests.some((r) => r.path === "/api/v3/app/hook/deliveries") ? true : undefined,
      "a look at GitHub's deliveries",
    );
    await waitFor(async () => {
      const left = await app.store.deliveries.awaitingRedelivery(1000);
      return left.every((n) => n.attempts >= 1) ? true : undefined;
    }, "each note looked up");
    expect(noted).toHaveLength(10);
    expect(github.requests.filter((r) => r.path.endsWith("/attempts"))).toEqual([]);
  });
});
