// `/stamina` commands end to end, in process: GitHub's example comment payload
// signed and posted to the real app (ingress, Probot, the gate, the command
// handlers), GitHub answered by the fake GitHub (real git behind it), and the
// runs the commands queue executed by the real executor with the scripted
// model. Tests assert on what GitHub shows: comments, reactions, branches,
// pull requests, check runs, and on the audit log.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { expect } from "vitest";
import { createGitHubClients } from "../../src/github/client.ts";
import { createGitHubPort } from "../../src/github/port.ts";
import { createAnthropicModel } from "../../src/model/anthropic.ts";
import { executeRun } from "../../src/runs/execute-run.ts";
import type { Run } from "../../src/store/types.ts";
import type { OperatorLimits } from "../../src/runs/spend-limits.ts";
import { createSandbox } from "../../src/sandbox/sandbox.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import {
  startModelServer,
  type ModelServer,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import { issueCommentPayload, type Account } from "../support/webhooks.ts";
import {
  APP_PRIVATE_KEY,
  APP_PUBLIC_KEY,
  startApp,
  type AppUnderTest,
} from "../support/app-harness.ts";

export const ORG = "octo-org";
export const REPO = "demo";
/** The app's own bot, as GitHub names it in the payloads of its comments. */
export const STAMINA_BOT = { login: "stamina[bot]", id: 9_000_001, type: "Bot" } as const;
const MODEL_KEY = "sk-ant-command-world-key";

export interface CommandWorld {
  github: FakeGitHub;
  app: AppUnderTest;
  bare: string;
  /**
   * A comment on issue 1 (or a pull request), posted on the fake GitHub and sent to the app as
   * GitHub sends it; resolves once the app handled it.
   */
  comment(body: string, options?: { sender?: Account }): Promise<{ commentId: number }>;
  model(script: ScriptedTurn[]): Promise<ModelServer>;
  /** Claims the next run and executes it to its end (or its pause). */
  work(): Promise<Run>;
  /** The branches of the repository on GitHub. */
  branches(): string[];
  /** Stamina's comments on issue 1, by body. */
  comments(): string[];
  close(): Promise<void>;
}

export async function startCommandWorld(
  files: Record<string, string>,
  options: { limits?: OperatorLimits } = {},
): Promise<CommandWorld> {
  const dir = mkdtempSync(join(tmpdir(), "stamina-commands-"));
  const github = await startFakeGitHub({ appId: 1, appPublicKeyPem: APP_PUBLIC_KEY });
  github.addInstallation(1, ORG);
  const { barePath: bare } = await github.createRepository({
    owner: ORG,
    name: REPO,
    installationId: 1,
    files,
  });
  github.setPermission(ORG, REPO, "maintainer", "write");
  github.setPermission(ORG, REPO, "reader", "read");
  const app = await startApp({ apiUrl: github.apiUrl, limits: options.limits });
  const log = pino({ level: "silent" });
  const clients = createGitHubClients({
    appId: 1,
    privateKey: APP_PRIVATE_KEY,
    baseUrl: github.apiUrl,
    log,
    retries: false,
  });
  const port = createGitHubPort(clients, github.url);
  const sandbox = createSandbox({ kind: "process" });
  let server: ModelServer | undefined;
  let workers = 0;

  return {
    github,
    app,
    bare,
    async comment(body, options = {}) {
      const sender: Account = options.sender ?? { login: "maintainer", id: 4242, type: "User" };
      const { id: commentId } = github.addComment(ORG, REPO, 1, { body, user: sender.login });
      const payload = issueCommentPayload({
        owner: ORG,
        repo: REPO,
        github,
        number: 1,
        author: sender,
        commentId,
        body,
      });
      const posted = await app.deliver("issue_comment", payload);
      expect(await app.handled(posted.deliveryId)).toBe("ok");
      return { commentId };
    },
    async model(script) {
      await server?.close();
      server = await startModelServer(script, { apiKey: MODEL_KEY });
      return server;
    },
    async work() {
      const url = server?.url;
      if (url === undefined) throw new Error("start the model first");
      const run = await app.store.leases.claimNext(`worker-${++workers}`, 60_000);
      if (!run) throw new Error("no run to claim");
      return executeRun(
        run,
        {
          store: app.store,
          github: port,
          sandbox,
          createModel: (id) =>
            createAnthropicModel({ apiKey: MODEL_KEY, baseURL: url, model: id, maxRetries: 0 }),
          dataDir: join(dir, "data"),
          commandTimeoutMs: 20_000,
          maxTokens: 1_000,
          log,
          progressIntervalMs: 0,
          limits: options.limits,
        },
        new AbortController().signal,
      );
    },
    branches: () =>
      execFileSync("git", ["--git-dir", bare, "for-each-ref", "--format=%(refname:short)"], {
        encoding: "utf8",
      })
        .split("\n")
        .filter((b) => b !== ""),
    comments: () =>
      github
        .issueComments(ORG, REPO, 1)
        .filter((c) => c.user === STAMINA_BOT.login)
        .map((c) => c.body),
    async close() {
      await server?.close();
      await app.close();
      await github.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
