// One run end to end, in process, against the fake GitHub and the scripted
// model: the ways a run ends other than a green pull request.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGitHubClients } from "../../src/github/client.ts";
import { createGitHubPort } from "../../src/github/port.ts";
import { createAnthropicModel } from "../../src/model/anthropic.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { executeRun } from "../../src/runs/execute-run.ts";
import { ShutdownRequested } from "../../src/runs/interruptions.ts";
import { openStore } from "../../src/runs/open-store.ts";
import type { Store } from "../../src/runs/store.ts";
import { createSandbox } from "../../src/workspace/sandbox.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import {
  reply,
  startModelServer,
  text,
  toolUse,
  type ModelServer,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import { appKeyPair } from "../support/app-keys.ts";

const keys = appKeyPair();
const KEY = "sk-ant-execute-run-test";
const log = pino({ level: "silent" });

let dir: string;
let github: FakeGitHub;
let model: ModelServer | undefined;
let store: Store;
let bare: string;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "stamina-run-"));
  github = await startFakeGitHub({ appId: 1, appPublicKeyPem: keys.publicKey });
  github.addInstallation(1, "octo");
  ({ barePath: bare } = await github.createRepository({
    owner: "octo",
    name: "demo",
    installationId: 1,
    files: {
      "a.txt": "one\n",
      "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
    },
  }));
  store = await openStore({ sqlitePath: ":memory:", redactor: createRedactor() });
});

afterEach(async () => {
  await model?.close();
  model = undefined;
  await store.close();
  await github.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(script: ScriptedTurn[], config: unknown, controller = new AbortController()) {
  model = await startModelServer(script, { apiKey: KEY });
  const clients = createGitHubClients({
    appId: 1,
    privateKey: keys.privateKey,
    baseUrl: github.apiUrl,
    log,
    retries: false,
  });
  const port = createGitHubPort(clients, github.url);
  const ref = { installationId: 1, owner: "octo", repo: "demo" };
  const created = await store.createRun({
    ...ref,
    issueNumber: 1,
    issueTitle: "Make it two",
    issueBody: "a.txt should say two",
    requestedBy: "maintainer",
    deliveryId: "d1",
    config: parseRepoConfig(config),
  });
  if (!created.created) throw new Error("unreachable");
  const { id: commentId } = await port.createComment(ref, 1, "tracking");
  await store.updateRun(created.run.id, { trackingCommentId: commentId });
  const claimed = await store.claimNextRun("worker-1", 60_000);
  const modelUrl = model.url;
  const finished = await executeRun(
    claimed!,
    {
      store,
      github: port,
      sandbox: createSandbox({ kind: "auto" }),
      createModel: (id) => createAnthropicModel({ apiKey: KEY, baseURL: modelUrl, model: id }),
      dataDir: dir,
      commandTimeoutMs: 20_000,
      maxTokens: 1_000,
      log,
    },
    controller.signal,
  );
  return { finished, comment: () => github.issueComments("octo", "demo", 1)[0]!.body };
}

const makeItTwo = reply(
  toolUse("str_replace_based_edit_tool", {
    command: "str_replace",
    path: "a.txt",
    old_str: "one",
    new_str: "two",
  }),
);

describe("a run", () => {
  it("stops with the failing setup command named, and opens no pull request", async () => {
    const { finished, comment } = await run([], { setup: "exit 7" });
    expect(finished.state).toBe("failed");
    expect(finished.outcome).toBe("the setup command `exit 7` exited with code 7.");
    expect(comment()).toContain(
      "❌ Stamina stopped without a pull request: the setup command `exit 7`",
    );
    expect(github.pulls("octo", "demo")).toHaveLength(0);
  });

  it("fails plainly when the agent changes nothing", async () => {
    const { finished, comment } = await run([reply(text("Nothing to do."))], {});
    expect(finished.state).toBe("failed");
    expect(comment()).toContain("the agent finished without changing any file");
    expect(github.pulls("octo", "demo")).toHaveLength(0);
  });

  it("opens a draft that shows the failing output when the budget ends with the checks failing", async () => {
    const { finished, comment } = await run(
      [reply(toolUse("bash", { command: "echo three > a.txt" })), reply(text("Changed it."))],
      { test: "sh check.sh", budget: { steps: 2 } },
    );
    expect(finished.state).toBe("out_of_budget");
    const [pull] = github.pulls("octo", "demo");
    expect(pull?.draft).toBe(true);
    expect(pull?.body).toContain("❌ `sh check.sh` exited with code 3");
    expect(pull?.body).toContain("a.txt lacks two");
    expect(pull?.body).toContain("used its whole step budget (2 steps)");
    expect(comment()).toContain("as a draft");
  });

  it("opens a ready pull request only once the harness saw the reviewed change pass", async () => {
    const { finished, comment } = await run(
      [
        reply(toolUse("update_plan", { plan: ["Make a.txt say two"] })),
        makeItTwo,
        reply(text("Changed a.txt.")),
        reply(text("a.txt says two now, as the issue asks.")),
      ],
      { test: "sh check.sh" },
    );
    expect(finished).toMatchObject({ state: "succeeded", stepsUsed: 4 });
    const [pull] = github.pulls("octo", "demo");
    expect(pull?.draft).toBe(false);
    expect(pull?.body).toContain("a.txt says two now");
    expect(pull?.body).toContain("✅ `sh check.sh` passed (test)");
    expect(pull?.body).toMatch(
      /\*\*Budget:\*\* 4 of 50 steps, [\d,]+ of 5,000,000 tokens, \$0\.\d\d of \$10\.00/,
    );
    // The green verification was a milestone: committed and pushed before the end.
    const types = (await store.auditEvents(finished.id)).map((e) => e.type);
    expect(types.filter((t) => t === "git.push").length).toBeGreaterThanOrEqual(1);
    const pushed = execFileSync("git", ["--git-dir", bare, "rev-parse", pull!.head], {
      encoding: "utf8",
    });
    expect(finished.headSha).toBe(pushed.trim());
    expect(comment()).toContain("verification passed");
  });

  it("opens a draft that says so when the step budget runs out", async () => {
    const { finished } = await run([makeItTwo, reply(toolUse("bash", { command: "true" }))], {
      test: "sh check.sh",
      budget: { steps: 2 },
    });
    expect(finished.state).toBe("out_of_budget");
    const [pull] = github.pulls("octo", "demo");
    expect(pull?.draft).toBe(true);
    expect(pull?.body).toContain("used its whole step budget (2 steps)");
    expect(pull?.body).toContain("✅ `sh check.sh` passed");
  });

  it("goes back to the queue, untouched on GitHub, when the worker shuts down", async () => {
    const controller = new AbortController();
    const { finished, comment } = await run(
      [
        () => {
          controller.abort(new ShutdownRequested());
          return makeItTwo;
        },
      ],
      {},
      controller,
    );
    expect(finished).toMatchObject({ state: "queued", leaseOwner: null });
    expect(comment()).not.toContain("❌");
    const types = (await store.auditEvents(finished.id)).map((e) => e.type);
    expect(types.at(-1)).toBe("run.released");
    expect(github.pulls("octo", "demo")).toHaveLength(0);
  });
});
