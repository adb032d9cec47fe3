// What the handlers read, checked before they run: every example GitHub publishes of each event
// Stamina handles passes; a payload without a field a handler reads is refused with the field
// named, through the real app, and no handler runs for it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HANDLED_EVENTS } from "../../src/app/app.ts";
import { payloadProblem } from "../../src/app/payload-shape.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { APP_PUBLIC_KEY, startApp, type AppUnderTest } from "../support/app-harness.ts";
import { examplePayload, examples, labeledIssuePayload } from "../support/webhooks.ts";

describe("the payload's shape", () => {
  it("passes every example GitHub publishes of each handled event", () => {
    let seen = 0;
    for (const group of examples)
      for (const example of group.examples) {
        if (!HANDLED_EVENTS.has(`${group.name}.${example.action}`)) continue;
        seen++;
        expect(payloadProblem(group.name, example), `${group.name}.${example.action}`).toBeNull();
      }
    // Each of the fourteen event-actions has at least one example.
    expect(seen).toBeGreaterThanOrEqual(HANDLED_EVENTS.size);
  });

  it("names each field a handler reads that is missing or of another type", () => {
    const payload = examplePayload<Record<string, Record<string, unknown>>>("issues", "labeled");
    delete payload.issue!.number;
    payload.sender!.login = 42;
    expect(payloadProblem("issues", payload)).toBe(
      "sender.login should be text; issue.number should be a number",
    );
    expect(payloadProblem("issue_comment", "text")).toBe("the payload should be an object");
    const review = examplePayload<Record<string, Record<string, unknown>>>(
      "pull_request_review",
      "submitted",
    );
    review.pull_request!.head = { ref: "x", repo: { full_name: 7 } };
    expect(payloadProblem("pull_request_review", review)).toBe(
      "pull_request.head.repo.full_name should be text",
    );
  });

  it("leaves events it keeps no shape for to their handlers", () => {
    expect(payloadProblem("ping", { zen: 1 })).toBeNull();
  });
});

describe("a delivery whose payload lacks what a handler reads", () => {
  let github: FakeGitHub;
  let app: AppUnderTest;
  beforeAll(async () => {
    github = await startFakeGitHub({ appId: 1, appPublicKeyPem: APP_PUBLIC_KEY });
    github.addInstallation(1, "octo-org");
    await github.createRepository({
      owner: "octo-org",
      name: "demo",
      installationId: 1,
      files: { "a.txt": "one\n" },
    });
    github.setPermission("octo-org", "demo", "maintainer", "write");
    app = await startApp({ apiUrl: github.apiUrl });
  });
  afterAll(async () => {
    await app?.close();
    await github?.close();
  });

  it("is recorded as refused with the field named, and starts nothing", async () => {
    const payload = labeledIssuePayload({ owner: "octo-org", repo: "demo", issue: 7, title: "T" });
    delete (payload.issue as { number?: number }).number;
    const posted = await app.deliver("issues", payload);
    expect(posted.status).toBe(202);
    expect(await app.handled(posted.deliveryId)).toBe("refused: issue.number should be a number");
    expect(await app.store.runs.list()).toEqual([]);
    // The same payload whole is a run: the refusal was the missing field, not the delivery.
    const whole = labeledIssuePayload({ owner: "octo-org", repo: "demo", issue: 7, title: "T" });
    const again = await app.deliver("issues", whole);
    expect(await app.handled(again.deliveryId)).toBe("ok");
    expect(await app.store.runs.list()).toHaveLength(1);
  });
});
