// The world of the process tests: the fake GitHub with one repository, the
// scripted model answering by step (the same answer for a step asked again),
// Stamina processes started against both, and reads of what they left: the
// pull requests, the branch trees, the runs and their audit logs.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import type { AuditEvent } from "../../src/audit/types.ts";
import { appKeyPair } from "./app-keys.ts";
import { appEnv, startAppProcess, type AppProcess } from "./app-process.ts";
import { byStep, issueOf, stepOf } from "./by-step.ts";
import { startFakeGitHub, type FakeGitHub, type PullView } from "./fake-github/index.ts";
import {
  editFile,
  reply,
  startModelServer,
  text,
  toolUse,
  type ModelServer,
  type RecordedModelRequest,
  type ScriptedReply,
} from "./model-server/index.ts";
import { labeledIssuePayload, postWebhook, waitFor } from "./webhooks.ts";

export const OWNER = "octo-org";
export const REPO = "greeter";
const WEBHOOK_SECRET = "world-webhook-secret-0123456789";
const MODEL_KEY = "sk-ant-world-key-0123456789abcdef";
const TERMINAL = ["succeeded", "failed", "cancelled", "out_of_budget"];

export interface World {
  github: FakeGitHub;
  model: ModelServer;
  dir: string;
  bare: string;
  /** Called with each model request's issue and step before it is answered. */
  onRequest: (issue: number, step: number) => void;
  /**
   * Called after `onRequest`: an answer given in place of the script's (a 529, a stream cut
   * short), or undefined for the script's own. The fault suite injects the model's faults here.
   */
  replyFor: (issue: number, step: number) => ScriptedReply | undefined;
  /** A Stamina process of the world; `wrap`: a command it is started under (app-process.ts). */
  start(
    mode: "all" | "serve" | "worker",
    env?: Record<string, string>,
    wrap?: readonly string[],
  ): AppProcess;
  label(url: string, issue: number): ReturnType<typeof postWebhook>;
  /** A webhook of `event` posted to `url`, signed as GitHub signs it. */
  send(url: string, event: string, payload: unknown): ReturnType<typeof postWebhook>;
  /** Rows of the processes' database (`?` placeholders, on either engine). */
  query<T = Record<string, unknown>>(sql: string, params: unknown[]): Promise<T[]>;
  /** Opens the gate that step 3's command of `issue` waits for. */
  openGate(issue: number): void;
  /** Resolves once step 3's command of `issue` runs. */
  stepThreeRunning(issue: number): Promise<void>;
  /** The pull request of the issue's run once the run finished it (not the early draft). */
  pullFor(issue: number): Promise<PullView>;
  tree(branch: string): string;
  /** The run's state once it is terminal. */
  finished(issue: number): Promise<string>;
  audit(issue: number): Promise<AuditEvent[]>;
  runRow(issue: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/** An answer of the scripted model, or how to answer a request. */
type StepAnswer = ScriptedReply | ((request: RecordedModelRequest) => ScriptedReply);

/**
 * Every issue's run: step 1 edits greet.js, step 2 writes NOTES.md, step 3 runs a command that
 * waits for the test to open its gate, step 4 ends the work, step 5 answers the review; or,
 * `short`, step 1 edits, step 2 ends the work and step 3 answers the review. A review round on
 * a pull request is answered by `round`, step by step. `database` is a PostgreSQL URL, else the
 * processes share SQLite.
 */
export async function startWorld(
  options: {
    database?: string;
    short?: boolean;
    round?: StepAnswer[];
    /** How long the fake GitHub's installation tokens live (its default: an hour). */
    tokenTtlMs?: number;
  } = {},
): Promise<World> {
  const keys = appKeyPair();
  const dir = mkdtempSync(join(tmpdir(), "stamina-world-"));
  const github = await startFakeGitHub({
    appId: 1,
    appPublicKeyPem: keys.publicKey,
    tokenTtlMs: options.tokenTtlMs,
  });
  github.addInstallation(1, OWNER);
  const { barePath: bare } = await github.createRepository({
    owner: OWNER,
    name: REPO,
    installationId: 1,
    files: {
      "greet.js": "export const greet = (name) => `Hello ${name}`;\n",
      ".github/stamina.yml": "test: grep -q 'Hello, ' greet.js\n",
    },
  });
  github.setPermission(OWNER, REPO, "maintainer", "write");
  const gate = (issue: number) => join(dir, `gate-${issue}`);
  const started = (issue: number) => join(dir, `started-${issue}`);
  const edit = reply(editFile("greet.js", "`Hello ${name}`", "`Hello, ${name}!`"));
  const done = reply(text("Greets with a comma and an exclamation mark now."));
  // The harness verified the change and asks for a review; the summary ends the session.
  const reviewed = reply(text("greet() says `Hello, NAME!` now, as the issue asks."));
  const gated = [
    edit,
    reply(toolUse("bash", { command: "printf 'greets politely\\n' > NOTES.md" })),
    (request: RecordedModelRequest) => {
      const issue = issueOf(request).number;
      const command = `touch ${started(issue)}; while [ ! -f ${gate(issue)} ]; do sleep 0.05; done; cat NOTES.md`;
      return reply(toolUse("bash", { command }));
    },
    done,
    reviewed,
  ];
  const steps: StepAnswer[] = options.short ? [edit, done, reviewed] : gated;
  const round = options.round ?? [];
  const world: Partial<World> = {};
  const answerStep = (i: number) => (request: RecordedModelRequest) => {
    const ofRound = isRound(request);
    if (!ofRound) world.onRequest?.(issueOf(request).number, stepOf(request));
    const injected = ofRound
      ? undefined
      : world.replyFor?.(issueOf(request).number, stepOf(request));
    if (injected !== undefined) return injected;
    const answer = (ofRound ? round : steps)[i];
    if (answer === undefined) {
      throw new Error(`no scripted answer for step ${i + 1}${ofRound ? " of a review round" : ""}`);
    }
    return typeof answer === "function" ? answer(request) : answer;
  };
  const model = await startModelServer(
    byStep(
      Array.from({ length: Math.max(steps.length, round.length) }, (_, i) => answerStep(i)),
      2_000,
    ),
    { apiKey: MODEL_KEY },
  );
  /** An assertion that failed inside a scripted turn is the test's failure, with its own message. */
  const turnFailed = () => {
    const error = model.turnError();
    if (error !== undefined)
      throw error instanceof Error ? error : new Error(JSON.stringify(error));
  };
  const processes: AppProcess[] = [];
  const sqlite = join(dir, "data", "stamina.db");
  const query = async <T>(sql: string, params: unknown[]): Promise<T[]> => {
    if (options.database) {
      const client = new pg.Client({ connectionString: options.database });
      await client.connect();
      try {
        let n = 0;
        const numbered = sql.replace(/\?/g, () => `$${++n}`);
        return (await client.query(numbered, params)).rows as T[];
      } finally {
        await client.end();
      }
    }
    const db = new Database(sqlite, { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  };

  return Object.assign(world, {
    github,
    model,
    dir,
    bare,
    onRequest: () => undefined,
    replyFor: () => undefined,
    start(
      mode: "all" | "serve" | "worker",
      env: Record<string, string> = {},
      wrap: readonly string[] = [],
    ) {
      const app = startAppProcess(
        mode,
        {
          ...appEnv({
            dir,
            privateKey: keys.privateKey,
            webhookSecret: WEBHOOK_SECRET,
            githubHost: github.host,
            modelKey: MODEL_KEY,
            modelUrl: model.url,
          }),
          DATABASE_URL: options.database,
          STAMINA_SANDBOX: "process",
          STAMINA_POLL_MS: "100",
          // Short, so a killed worker's run is taken over within seconds; not so short that a
          // worker slowed by a busy machine (SQLite's lock, a push) loses a run it still works on.
          STAMINA_LEASE_SECONDS: "5",
          ...env,
        },
        wrap,
      );
      processes.push(app);
      return app;
    },
    label(url: string, issue: number) {
      const payload = labeledIssuePayload({
        owner: OWNER,
        repo: REPO,
        issue,
        title: `Greeting lacks punctuation (${issue})`,
        body: "greet() should say `Hello, NAME!`",
      });
      return postWebhook({ url, secret: WEBHOOK_SECRET, event: "issues", payload });
    },
    send: (url: string, event: string, payload: unknown) =>
      postWebhook({ url, secret: WEBHOOK_SECRET, event, payload }),
    query,
    openGate: (issue: number) => writeFileSync(gate(issue), ""),
    stepThreeRunning: (issue: number) =>
      waitFor(
        () => (existsSync(started(issue)) ? true : undefined),
        `step 3 of issue #${issue}`,
        60_000,
      ).then(() => undefined),
    pullFor: (issue: number) =>
      waitFor(
        () =>
          turnFailed() ??
          // The draft opened at the first push says the run is still working until it ends.
          github
            .pulls(OWNER, REPO)
            .find(
              (p) =>
                p.head.startsWith(`stamina/${issue}-`) &&
                !p.body.includes("Stamina is still working"),
            ),
        `the pull request for issue #${issue}`,
        60_000,
      ),
    tree: (branch: string) =>
      execFileSync("git", ["--git-dir", bare, "rev-parse", `${branch}^{tree}`], {
        encoding: "utf8",
      }).trim(),
    finished: (issue: number) =>
      waitFor(
        async () => {
          turnFailed();
          const [run] = await query<{ state: string }>(
            "select state from runs where issue_number = ?",
            [issue],
          );
          return run && TERMINAL.includes(run.state) ? run.state : undefined;
        },
        `the run on issue #${issue} to finish`,
        60_000,
      ),
    async runRow(issue: number) {
      const [run] = await query<Record<string, unknown>>(
        "select * from runs where issue_number = ?",
        [issue],
      );
      if (!run) throw new Error(`no run on issue #${issue}`);
      return run;
    },
    async audit(issue: number) {
      const rows = await query<Record<string, string | number>>(
        "select e.* from audit_events e join runs r on r.id = e.run_id where r.issue_number = ? order by e.seq",
        [issue],
      );
      return rows.map((r) => ({
        run: String(r.run_id),
        seq: Number(r.seq),
        ts: String(r.ts),
        type: String(r.type),
        data: JSON.parse(String(r.data)) as Record<string, unknown>,
        prevHash: String(r.prev_hash),
        hash: String(r.hash),
      }));
    },
    async close() {
      for (const p of processes) p.child.kill("SIGKILL");
      await Promise.all(processes.map((p) => p.exited));
      await model.close();
      await github.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/** Whether a request is a review round's (its task answers reviewers on a pull request). */
function isRound(request: RecordedModelRequest): boolean {
  const first = request.body.messages[0];
  const task = typeof first?.content === "string" ? first.content : JSON.stringify(first?.content);
  return task.includes("Reviewers commented on pull request #");
}
