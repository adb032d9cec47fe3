// The trigger, through the real ingress and Probot: GitHub's example payloads
// signed and posted over HTTP, GitHub's API answered by nock.
import nock from "nock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { replayUnhandled } from "../../src/app/app.ts";
import { examplePayload, postWebhook } from "../support/webhooks.ts";
import {
  API,
  permission as permissionOn,
  SECRET,
  startApp,
  type AppUnderTest,
} from "../support/app-harness.ts";

const REPO = "/repos/Codertocat/Hello-World";
const CONFIG = `${REPO}/contents/.github%2Fstamina.yml`;

interface IssuesLabeled {
  label: { name: string };
  sender: { login: string };
}

let app: AppUnderTest;
let store: AppUnderTest["store"];
let url: string;
let logLines: AppUnderTest["logLines"];
let probot: AppUnderTest["probot"];
let log: AppUnderTest["log"];

beforeEach(async () => {
  app = await startApp();
  ({ store, url, logLines, probot, log } = app);
  // The instruction files a queued run reads (none here; test/app/repo-config.test.ts reads some).
  nock(API)
    .persist()
    .get(
      /^\/repos\/Codertocat\/Hello-World\/contents\/(AGENTS\.md|CLAUDE\.md|\.github%2Fcopilot-instructions\.md)$/,
    )
    .reply(404, { message: "Not Found" });
});

afterEach(() => app.close());

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
  return permissionOn(REPO, login, role);
}

function handled(deliveryId: string): Promise<string> {
  return app.handled(deliveryId);
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
    const runs = await store.runs.list();
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
    const events = await store.audit.events(runs[0]!.id);
    expect(events.map((e) => e.type)).toEqual(["run.queued", "github.write", "github.write"]);
  });

  it("from a reader: a log line, nothing posted, no run", async () => {
    const github = [withConfig(null), permission("Codertocat", "read")];
    const posted = await deliver(labeled("stamina"));
    expect(posted.status).toBe(202);
    expect(await handled(posted.deliveryId)).toBe("ok");
    expect(await store.runs.list()).toHaveLength(0);
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
    expect(await store.runs.list()).toHaveLength(0);
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
    expect(await store.runs.list()).toHaveLength(1);
  });

  it("acknowledges an event it does not act on without storing it", async () => {
    const posted = await postWebhook({
      url,
      secret: SECRET,
      event: "issues",
      payload: examplePayload("issues", "opened"),
    });
    expect(posted.status).toBe(202);
    expect(await store.deliveries.outcome(posted.deliveryId)).toBeUndefined();
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
    expect(await store.deliveries.outcome(posted.deliveryId)).toBeUndefined();
    expect(await store.runs.list()).toHaveLength(0);
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
    expect(await store.runs.list()).toHaveLength(1);
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
    expect(await store.runs.list()).toHaveLength(1);
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
    expect(await store.runs.list()).toHaveLength(0);
  });

  it("answers YAML that does not parse with the line and column, and no run", async () => {
    withConfig("label: stamina\nbudget:\n  steps: 5\n   tokens: 9000\n");
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
    expect(comment).toContain(
      "- `.github/stamina.yml` is not valid YAML: line 3, column 10: Nested mappings are not allowed in compact mappings\n",
    );
    expect(await store.runs.list()).toHaveLength(0);
  });

  it("lists every problem of a config with three errors in one comment", async () => {
    withConfig(
      ["budget:", "  steps: ten", "lable: ai", "approvals:", "  max_deleted_files: -1", ""].join(
        "\n",
      ),
    );
    permission("Codertocat", "write");
    const comments: string[] = [];
    const scope = nock(API)
      .post(`${REPO}/issues/1/comments`, (body: { body: string }) => {
        comments.push(body.body);
        return true;
      })
      .reply(201, { id: 3 });
    const posted = await deliver(labeled("stamina"));
    expect(await handled(posted.deliveryId)).toBe("ok");
    expect(scope.isDone()).toBe(true);
    expect(comments).toHaveLength(1);
    const bullets = comments[0]!.split("\n").filter((line) => line.startsWith("- "));
    expect(bullets.sort()).toEqual(
      [
        "- `approvals.max_deleted_files` must be at least 0",
        "- `budget.steps` must be a whole number",
        "- unknown key `lable` (did you mean `label`?)",
      ].sort(),
    );
    expect(comments[0]).toContain("(3 problems)");
    expect(await store.runs.list()).toHaveLength(0);
  });

  it("replays a delivery acknowledged but never handled (the process died after the 202)", async () => {
    withConfig(null);
    permission("Codertocat", "write");
    nock(API)
      .post(`${REPO}/issues/1/reactions`)
      .reply(201, {})
      .post(`${REPO}/issues/1/comments`)
      .reply(201, { id: 11 });
    await store.deliveries.record({
      id: "crashed-1",
      event: "issues",
      action: "labeled",
      installationId: 1,
      payload: JSON.stringify(labeled("stamina")),
    });
    expect(await replayUnhandled(probot, { store, log })).toBe(1);
    expect(await store.deliveries.outcome("crashed-1")).toBe("ok");
    expect(await store.runs.list()).toHaveLength(1);
    expect(await replayUnhandled(probot, { store, log })).toBe(0);
  });
});
