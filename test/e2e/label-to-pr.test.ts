// End to end, on real processes: the app started as `npm start` starts it,
// the fake GitHub (REST, git over HTTP, expiring tokens) and the scripted model
// on loopback; a signed issues.labeled webhook in, a pull request out.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { auditSigner, generateAuditKey } from "../../src/audit/signing.ts";
import { parseJsonl, verifyChain } from "../../src/audit/verify.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import {
  editFile,
  reply,
  startModelServer,
  text,
  toolUse,
  type ModelServer,
} from "../support/model-server/index.ts";
import { examplePayload, postWebhook, waitFor } from "../support/webhooks.ts";
import { appKeyPair } from "../support/app-keys.ts";
import { appEnv, startAppProcess, type AppProcess } from "../support/app-process.ts";

const keys = appKeyPair();
const WEBHOOK_SECRET = "e2e-webhook-secret-0123456789";
const ANTHROPIC_KEY = "sk-ant-e2e-key-0123456789abcdef";
/** The audit key the app signs with; the test checks the log with its public half. */
const AUDIT_KEY = generateAuditKey();
const AUDIT_PUBLIC = auditSigner(AUDIT_KEY, "test").publicKey;
const OWNER = "octo-org";
const REPO = "greeter";

const FILES = {
  "greet.js": "export function greet(name) {\n  return `Hello ${name}`;\n}\n",
  "test.js": [
    'import assert from "node:assert/strict";',
    'import { greet } from "./greet.js";',
    'assert.equal(greet("Ada"), "Hello, Ada!");',
    'console.log("greet ok");',
    "",
  ].join("\n"),
  "package.json": JSON.stringify({ name: "greeter", type: "module", private: true }, null, 2),
  ".github/stamina.yml": "test: node test.js\nbudget:\n  steps: 8\n",
};

interface LabeledPayload {
  issue: { number: number; title: string; body: string };
  label: { name: string };
  sender: { login: string; id: number };
  repository: { name: string; full_name: string; owner: { login: string } };
}

describe("a labelled issue becomes a pull request", () => {
  let github: FakeGitHub;
  let model: ModelServer;
  let app: AppProcess;
  let dir: string;
  let webhookUrl = "";
  let bare = "";
  let auditKeyPath = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "stamina-e2e-"));
    auditKeyPath = join(dir, "audit-key.pem");
    writeFileSync(auditKeyPath, AUDIT_KEY, { mode: 0o600 });
    github = await startFakeGitHub({ appId: 1, appPublicKeyPem: keys.publicKey });
    github.addInstallation(1, OWNER);
    ({ barePath: bare } = await github.createRepository({
      owner: OWNER,
      name: REPO,
      files: FILES,
      installationId: 1,
    }));
    github.setPermission(OWNER, REPO, "maintainer", "write");
    model = await startModelServer(
      [
        reply(text("Let me look at the environment first."), toolUse("bash", { command: "env" })),
        reply(editFile("greet.js", "`Hello ${name}`", "`Hello, ${name}!`")),
        reply(toolUse("bash", { command: "node test.js" })),
        reply(text("Done: the greeting has its punctuation.")),
        // The self-review, after the harness saw the tests pass.
        reply(text("Added the comma and the exclamation mark the issue asks for.")),
      ],
      { apiKey: ANTHROPIC_KEY },
    );
    app = startAppProcess("all", {
      ...appEnv({
        dir,
        privateKey: keys.privateKey,
        webhookSecret: WEBHOOK_SECRET,
        githubHost: github.host,
        modelKey: ANTHROPIC_KEY,
        modelUrl: model.url,
      }),
      STAMINA_POLL_MS: "200",
      STAMINA_AUDIT_KEY_PATH: auditKeyPath,
    });
    webhookUrl = await app.webhookUrl();
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await model?.close();
    await github?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pushes the branch, opens the pull request and links it, with no secret in what it published, its commands' environment, its logs, git's config or the audit log", async () => {
    const payload = examplePayload<LabeledPayload>("issues", "labeled");
    payload.repository.owner.login = OWNER;
    payload.repository.name = REPO;
    payload.repository.full_name = `${OWNER}/${REPO}`;
    payload.issue.number = 1;
    payload.issue.title = "Greeting lacks punctuation";
    payload.issue.body = "greet() should say `Hello, NAME!`";
    payload.label.name = "stamina";
    payload.sender.login = "maintainer";
    const posted = await postWebhook({
      url: webhookUrl,
      secret: WEBHOOK_SECRET,
      event: "issues",
      payload,
    });
    expect(posted.status).toBe(202);

    // The draft opens at the first push; the run ends by marking it ready for review.
    const pull = await waitFor(
      () => github.pulls(OWNER, REPO).find((p) => !p.draft),
      "the pull request ready for review",
      60_000,
    );
    const comments = await waitFor(() => {
      const c = github.issueComments(OWNER, REPO, 1);
      return c.some((x) => x.body.includes("/pull/")) ? c : undefined;
    }, "the tracking comment to link the pull request");

    // The pull request.
    expect(pull.head).toBe("stamina/1-greeting-lacks-punctuation");
    expect(pull.base).toBe("main");
    expect(pull.draft).toBe(false);
    expect(pull.body).toContain("Fixes #1");
    expect(pull.body).toContain("Added the comma");
    expect(pull.body).toContain("✅ `node test.js` passed (test)");
    expect(pull.body).toMatch(/Timeline/);
    expect(pull.body).toMatch(/tool\.call/);

    // One tracking comment, edited to link it.
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(`/pull/${pull.number}`);
    expect(comments[0]!.updatedCount).toBeGreaterThanOrEqual(1);

    // The branch in the bare repository holds the scripted change, with the audit trailer.
    const show = (rev: string) =>
      execFileSync("git", ["--git-dir", bare, "show", rev], { encoding: "utf8" });
    expect(show(`${pull.head}:greet.js`)).toContain("`Hello, ${name}!`");
    expect(show(`${pull.head}:test.js`)).toBe(FILES["test.js"]);
    const message = execFileSync(
      "git",
      ["--git-dir", bare, "log", "-1", "--format=%B", pull.head],
      {
        encoding: "utf8",
      },
    );
    expect(message).toMatch(/Stamina-Audit: [0-9a-f]{64}\nStamina-Audit-Signature: ed25519:/);
    expect(app.logs()).toContain(AUDIT_PUBLIC);
    // The person who asked is credited, by the account id the delivery gave.
    expect(message).toContain(
      `Co-authored-by: maintainer <${payload.sender.id}+maintainer@users.noreply.github.com>`,
    );

    // The agent's own test run passed inside the sandbox too.
    const testResult = JSON.stringify(model.requests[3]?.body.messages.at(-1));
    expect(testResult).toContain("greet ok");

    // The env the agent's command saw: the allowlist, and no secret.
    const envResult = JSON.stringify(model.requests[1]?.body.messages.at(-1));
    expect(envResult).toContain("CI=true");
    const secrets = [
      ...github.issuedTokens(),
      ANTHROPIC_KEY,
      WEBHOOK_SECRET,
      keyBody(keys.privateKey),
      keyBody(AUDIT_KEY, 1),
    ];
    expect(github.issuedTokens().length).toBeGreaterThan(0);
    // Nor in what it published: the pull request, the issue's comments, the commit.
    const published = JSON.stringify([
      github.pulls(OWNER, REPO),
      github.issueComments(OWNER, REPO, 1),
      message,
    ]);
    for (const secret of secrets) {
      expect(envResult).not.toContain(secret);
      expect(app.logs()).not.toContain(secret);
      expect(published).not.toContain(secret);
    }

    // Nowhere on disk in the git config the run's worktree used (the repository mirror's), nor
    // in the audit log.
    await app.stop();
    const [runId] = readdirSync(join(dir, "data", "runs"));
    const gitConfig = readFileSync(
      join(dir, "data", "mirrors", OWNER, `${REPO}.git`, "config"),
      "utf8",
    );
    const db = new Database(join(dir, "data", "stamina.db"), { readonly: true });
    const events = db.prepare("select type, data from audit_events order by seq").all() as Array<{
      type: string;
      data: string;
    }>;
    db.close();
    const audit = JSON.stringify(events);
    for (const secret of secrets) {
      expect(gitConfig).not.toContain(secret);
      expect(audit).not.toContain(secret);
    }
    expect(gitConfig).not.toMatch(/extraheader|x-access-token/i);
    // The exported log verifies with the CLI, and holds the head the commit's trailer names.
    const exported = join(dir, "audit.jsonl");
    const cli = (...args: string[]) =>
      execFileSync(process.execPath, ["--import", "tsx", "src/main.ts", ...args], {
        encoding: "utf8",
        env: { PATH: process.env.PATH, STAMINA_DATA_DIR: join(dir, "data") },
      });
    cli("audit", "export", runId!, exported);
    expect(cli("audit", "verify", exported)).toMatch(/^ok: \d+ events/);
    expect(cli("audit", "verify", exported, "--key", AUDIT_PUBLIC)).toMatch(
      /^ok: \d+ events, head [0-9a-f]{64}, \d+ signatures by audit key [0-9a-f]{16}\n$/,
    );
    const trailerHead = /Stamina-Audit: ([0-9a-f]{64})/.exec(message)![1]!;
    expect(
      verifyChain(parseJsonl(readFileSync(exported, "utf8")), { expectedHead: trailerHead }),
    ).toMatchObject({
      ok: true,
    });

    const types = events.map((e) => e.type);
    for (const t of [
      "run.queued",
      "model.response",
      "tool.call",
      "command",
      "git.commit",
      "git.push",
    ]) {
      expect(types).toContain(t);
    }
    expect(types.filter((t) => t === "github.write").length).toBeGreaterThanOrEqual(4);
  }, 120_000);
});

/** A distinctive line from the PEM body (the middle one for a long key). */
function keyBody(pem: string, line = 5): string {
  return pem.split("\n")[line]!;
}
