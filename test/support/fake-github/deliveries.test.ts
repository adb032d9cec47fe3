// The fake GitHub's webhook deliveries: posted signed to the app's target and recorded with its
// answer, listed newest first a page at a time (the cursor in the Link header), and sent again
// on request with the same guid and body, as GitHub does.
import { createServer, type Server } from "node:http";
import { verify } from "@octokit/webhooks-methods";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { examplePayload, waitFor } from "../webhooks.ts";
import { fakeGitHubPerTest, statusOf } from "./fixture.ts";

const fake = fakeGitHubPerTest();
const SECRET = "deliveries-secret";

interface Received {
  guid: string;
  event: string;
  body: string;
  signed: boolean;
}

let target: Server;
let received: Received[];
/** The statuses the target answers with, in turn; 202 once they run out. */
let answers: number[];

beforeEach(async () => {
  received = [];
  answers = [];
  target = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      void verify(SECRET, body, String(req.headers["x-hub-signature-256"])).then((signed) => {
        received.push({
          guid: String(req.headers["x-github-delivery"]),
          event: String(req.headers["x-github-event"]),
          body,
          signed,
        });
        res.writeHead(answers.shift() ?? 202).end();
      });
    });
  });
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  const address = target.address();
  const port = typeof address === "object" && address ? address.port : 0;
  fake.gh.setWebhook({ url: `http://127.0.0.1:${port}/hook`, secret: SECRET });
});

afterEach(async () => {
  await new Promise((resolve) => target.close(resolve));
});

describe("the fake GitHub's webhook deliveries", () => {
  it("posts a delivery signed and records what the app answered", async () => {
    answers = [503];
    const payload = examplePayload("issues", "labeled", { installationId: 77 });
    const first = await fake.gh.deliver("issues", payload);
    const second = await fake.gh.deliver("issues", payload);
    expect(received.map((r) => [r.event, r.signed])).toEqual([
      ["issues", true],
      ["issues", true],
    ]);
    expect(received[0]?.guid).toBe(first.guid);
    expect(received[0]?.body).toBe(JSON.stringify(payload));
    expect(first).toMatchObject({ statusCode: 503, redelivery: false, action: "labeled" });
    expect(first.installationId).toBe(77);
    expect(second.statusCode).toBe(202);
    expect(second.guid).not.toBe(first.guid);
  });

  it("lists deliveries newest first, a page at a time through the Link header's cursor", async () => {
    const payload = examplePayload("issues", "labeled", { installationId: 77 });
    const made = [];
    for (let i = 0; i < 3; i++) made.push(await fake.gh.deliver("issues", payload));
    const octokit = fake.appOctokit();
    const page1 = await octokit.request("GET /app/hook/deliveries", { per_page: 2 });
    expect(page1.data.map((d) => d.guid)).toEqual([made[2]?.guid, made[1]?.guid]);
    expect(page1.data[0]).toMatchObject({
      id: made[2]?.id,
      redelivery: false,
      status: "OK",
      status_code: 202,
      event: "issues",
      action: "labeled",
      installation_id: 77,
    });
    const link = page1.headers.link ?? "";
    expect(link).toMatch(/rel="next"/);
    const cursor = new URL(/<([^>]+)>/.exec(link)?.[1] ?? "").searchParams.get("cursor");
    const page2 = await octokit.request("GET /app/hook/deliveries", {
      per_page: 2,
      cursor: cursor ?? "",
    });
    expect(page2.data.map((d) => d.guid)).toEqual([made[0]?.guid]);
    expect(page2.headers.link).toBeUndefined();
  });

  it("sends a delivery again with its guid and body, and records it as a redelivery", async () => {
    answers = [503];
    const payload = examplePayload("issues", "labeled", { installationId: 77 });
    const refused = await fake.gh.deliver("issues", payload);
    const octokit = fake.appOctokit();
    const asked = await octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", {
      delivery_id: refused.id,
    });
    expect(asked.status).toBe(202);
    await waitFor(() => (received.length === 2 ? true : undefined), "the redelivery");
    expect(received[1]).toMatchObject({ guid: refused.guid, body: refused.body, signed: true });
    await waitFor(
      () => (fake.gh.hookDeliveries().length === 2 ? true : undefined),
      "the redelivery's record",
    );
    expect(fake.gh.hookDeliveries()[1]).toMatchObject({
      guid: refused.guid,
      redelivery: true,
      statusCode: 202,
    });
  });

  it("refuses an unknown delivery with 404 and a request without the app's JWT with 401", async () => {
    const octokit = fake.appOctokit();
    const unknown = await octokit
      .request("POST /app/hook/deliveries/{delivery_id}/attempts", { delivery_id: 999 })
      .catch(statusOf);
    expect(unknown).toBe(404);
    const token = await fake.installationToken();
    const res = await fake.api("/app/hook/deliveries", { token });
    expect(res.status).toBe(401);
  });
});
