// The Stamina label on a pull request from a fork, end to end: the app as its
// own process against the fake GitHub gets a signed pull_request.labeled
// delivery (GitHub's example payload), says on the pull request, once, that it
// can't push to the fork, and starts no run. A pull request of the
// repository itself gets no such comment.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appKeyPair } from "../support/app-keys.ts";
import { appEnv, startAppProcess, type AppProcess } from "../support/app-process.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { examplePayload, postWebhook, waitFor } from "../support/webhooks.ts";

const keys = appKeyPair();
const SECRET = "fork-webhook-secret-0123456789";
const OWNER = "octo-org";
const REPO = "greeter";

interface PullLabeled {
  number: number;
  label: { name: string };
  sender: { login: string };
  repository: { name: string; full_name: string; owner: { login: string } };
  pull_request: {
    number: number;
    head: { ref: string; repo: { full_name: string; fork: boolean } };
    base: { repo: { full_name: string } };
  };
}

function labeled(number: number, headRepo: string): PullLabeled {
  const payload = examplePayload<PullLabeled>("pull_request", "labeled");
  payload.number = number;
  payload.pull_request.number = number;
  payload.repository.owner.login = OWNER;
  payload.repository.name = REPO;
  payload.repository.full_name = `${OWNER}/${REPO}`;
  payload.pull_request.base.repo.full_name = `${OWNER}/${REPO}`;
  payload.pull_request.head.repo.full_name = headRepo;
  payload.pull_request.head.repo.fork = headRepo !== `${OWNER}/${REPO}`;
  payload.pull_request.head.ref = "patch-1";
  payload.label.name = "stamina";
  payload.sender.login = "maintainer";
  return payload;
}

describe("the Stamina label on a pull request", () => {
  let github: FakeGitHub;
  let app: AppProcess;
  let dir: string;
  let url = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "stamina-fork-"));
    github = await startFakeGitHub({ appId: 1, appPublicKeyPem: keys.publicKey });
    github.addInstallation(1, OWNER);
    await github.createRepository({
      owner: OWNER,
      name: REPO,
      files: { "README.md": "hi\n" },
      installationId: 1,
    });
    github.setPermission(OWNER, REPO, "maintainer", "write");
    app = startAppProcess("all", {
      ...appEnv({
        dir,
        privateKey: keys.privateKey,
        webhookSecret: SECRET,
        githubHost: github.host,
        modelKey: "sk-ant-fork-test-0123456789",
        modelUrl: "http://127.0.0.1:9",
      }),
      STAMINA_GITHUB_THROTTLE: "off",
    });
    url = await app.webhookUrl();
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await github?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const send = async (payload: PullLabeled, deliveryId: string) => {
    const posted = await postWebhook({
      url,
      secret: SECRET,
      event: "pull_request",
      payload,
      deliveryId,
    });
    expect(posted.status).toBe(202);
    await app.waitForLog(
      new RegExp(`"deliveryId":"${deliveryId}"[^\\n]*(fork|starts nothing)`),
      deliveryId,
    );
  };

  it("says once, on a fork's pull request, that Stamina can't push there, and starts no run", async () => {
    await send(labeled(7, "someone/greeter"), "fork-1");
    await send(labeled(7, "someone/greeter"), "fork-2"); // labelled again
    const comments = await waitFor(() => {
      const c = github.issueComments(OWNER, REPO, 7);
      return c.length > 0 ? c : undefined;
    }, "the comment on the pull request");
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain("Stamina can't work on this pull request");
    expect(comments[0]!.body).toContain("`someone/greeter`");

    await send(labeled(8, `${OWNER}/${REPO}`), "same-repo");
    expect(github.issueComments(OWNER, REPO, 8)).toHaveLength(0);

    await app.stop();
    const db = new Database(join(dir, "data", "stamina.db"), { readonly: true });
    const runs = db.prepare("select count(*) as n from runs").get() as { n: number };
    db.close();
    expect(runs.n).toBe(0);
    expect(github.pulls(OWNER, REPO)).toHaveLength(0);
    // Started without an audit key: said once, with how to sign.
    expect(app.logs().match(/audit logs are not signed/g)).toHaveLength(1);
    expect(app.logs()).toContain("stamina audit key --generate");
  }, 60_000);
});
