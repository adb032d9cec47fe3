// label-to-pr: how long from a signed `issues.labeled` delivery to the pull request, on a
// repository served by the fake GitHub (full form: 10,000 files and ~50 MB of packed history;
// small form: 200 files, 11 commits), with the scripted model answering at once (an edit, the end
// of the work, the review's summary). One `stamina all` process (process sandbox, writes
// unthrottled, polling every 20 ms). The first run makes the repository's mirror (cold); then
// each round times one more run, which finds the mirror cached (warm), and one plain
// `git clone --depth 1` of the same repository from the same server, the order alternating.
// A run's time stops when the fake GitHub holds its pull request: the draft opened at the run's
// first push. The repository configures no checks, so there is no green-verification milestone
// and that first push is the final commit's, after the whole scripted session (secret scan
// included); each run must then end `succeeded` before the next side starts.
//   label_to_pr.cold_ms      the first run's time
//   label_to_pr.warm_ms      the median over rounds of a warm run's time
//   label_to_pr.clone_ms     the median over rounds of the shallow clone's time
//   label_to_pr.warm_ratio   the median of the rounds' warm run / clone (_min, _max: spread)
// Full form: 5 rounds; small form: 2.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import pino from "pino";
import { createGitHubClients } from "../src/github/client.ts";
import { createGitHubPort } from "../src/github/port.ts";
import { appKeyPair } from "../test/support/app-keys.ts";
import { appEnv, startAppProcess } from "../test/support/app-process.ts";
import { byStep } from "../test/support/by-step.ts";
import { startFakeGitHub, type FakeGitHub } from "../test/support/fake-github/index.ts";
import { editFile, reply, startModelServer, text } from "../test/support/model-server/index.ts";
import { labeledIssuePayload, postWebhook } from "../test/support/webhooks.ts";
import { bigRepository, FULL_REPO, SMALL_REPO } from "./_big-repo.ts";
import { alternate, ratioFigures, ratioPromises } from "./_rounds.ts";
import { median } from "./_stats.ts";
import type { BenchOptions, Figure, Promised } from "./_bench.ts";

const execFileAsync = promisify(execFile);
const OWNER = "octo-org";
const REPO = "large";
const SECRET = "bench-webhook-secret-0123456789";
const MODEL_KEY = "sk-ant-bench-key-0123456789abcdef";
const FULL_ROUNDS = 5;
const SMALL_ROUNDS = 2;
const TERMINAL = new Set(["succeeded", "failed", "cancelled", "out_of_budget"]);

export const figures: readonly Promised[] = [
  { name: "label_to_pr.cold_ms", unit: "ms" },
  { name: "label_to_pr.warm_ms", unit: "ms" },
  { name: "label_to_pr.clone_ms", unit: "ms" },
  ...ratioPromises("label_to_pr.warm_ratio", { atMost: 1 }),
];

export async function run(options: BenchOptions): Promise<Figure[]> {
  const roundCount = options.small ? SMALL_ROUNDS : FULL_ROUNDS;
  const source = await bigRepository(options.small ? SMALL_REPO : FULL_REPO);
  const keys = appKeyPair();
  const dir = mkdtempSync(join(tmpdir(), "stamina-bench-label-to-pr-"));
  const github = await startFakeGitHub({ appId: 1, appPublicKeyPem: keys.publicKey });
  const model = await startModelServer(
    byStep(
      [
        reply(
          editFile(
            "README.md",
            "For the label-to-pr benchmark.",
            "For the label-to-pr benchmark, edited by Stamina.",
          ),
        ),
        reply(text("Edited the README.")),
        reply(text("The README says who edited it.")),
      ],
      // Three requests a run (the cold one and one a round), with room for retried steps.
      10 * (roundCount + 1),
    ),
    { apiKey: MODEL_KEY },
  );
  const app = startAppProcess("all", {
    ...appEnv({
      dir,
      privateKey: keys.privateKey,
      webhookSecret: SECRET,
      githubHost: github.host,
      modelKey: MODEL_KEY,
      modelUrl: model.url,
    }),
    LOG_LEVEL: "info",
    STAMINA_SANDBOX: "process",
    STAMINA_POLL_MS: "20",
    STAMINA_GITHUB_THROTTLE: "off",
  });
  try {
    github.addInstallation(1, OWNER);
    await github.createRepository({
      owner: OWNER,
      name: REPO,
      installationId: 1,
      files: {},
      source,
    });
    github.setPermission(OWNER, REPO, "maintainer", "write");
    const url = await app.webhookUrl();
    const database = join(dir, "data", "stamina.db");

    const cold = await labelToPull(github, url, database, 1);
    const clone = shallowClone(github, keys.privateKey, dir);
    const rounds = await alternate(roundCount, {
      ours: (round) => labelToPull(github, url, database, round + 2),
      base: clone,
    });
    return [
      { name: "label_to_pr.cold_ms", value: cold, unit: "ms" },
      { name: "label_to_pr.warm_ms", value: median(rounds.ours), unit: "ms" },
      { name: "label_to_pr.clone_ms", value: median(rounds.base), unit: "ms" },
      ...ratioFigures("label_to_pr.warm_ratio", rounds.ratios),
    ];
  } finally {
    await app.stop();
    await model.close();
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** From the signed delivery to the pull request on the fake GitHub; waits for the run to end. */
async function labelToPull(
  github: FakeGitHub,
  url: string,
  database: string,
  issue: number,
): Promise<number> {
  const payload = labeledIssuePayload({
    owner: OWNER,
    repo: REPO,
    issue,
    title: `Say who edits the README (${issue})`,
    body: "The README should say Stamina edited it.",
  });
  const started = performance.now();
  const posted = await postWebhook({ url, secret: SECRET, event: "issues", payload });
  if (posted.status !== 202) throw new Error(`the webhook was answered ${posted.status}`);
  const head = `stamina/${issue}-`;
  const opened = await poll(
    () => github.pulls(OWNER, REPO).some((p) => p.head.startsWith(head)) || undefined,
    `the pull request of issue #${issue}`,
  );
  const elapsed = opened - started;
  const state = await poll(() => runState(database, issue), `the end of the run on #${issue}`);
  if (state === 0) throw new Error(`the run on issue #${issue} did not succeed`);
  return elapsed;
}

/** 1 when the run succeeded, 0 when it ended otherwise; undefined while it runs. */
function runState(database: string, issue: number): 1 | 0 | undefined {
  const db = new Database(database, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare("select state from runs where issue_number = ?").get(issue) as
      { state: string } | undefined;
    if (!row || !TERMINAL.has(row.state)) return undefined;
    return row.state === "succeeded" ? 1 : 0;
  } finally {
    db.close();
  }
}

/** The time `check` first answers, polling every 2 ms (two minutes at most). */
async function poll<T>(check: () => T | undefined, what: string): Promise<number> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (check() !== undefined) return performance.now();
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * One `git clone --depth 1` from the fake GitHub, with an installation token as GitHub takes it
 * (fetched before the clock starts); its time in ms. The clone is removed afterwards.
 */
function shallowClone(github: FakeGitHub, privateKey: string, dir: string) {
  const clients = createGitHubClients({
    appId: 1,
    privateKey,
    baseUrl: github.apiUrl,
    log: pino({ level: "silent" }),
    retries: false,
  });
  const port = createGitHubPort(clients, github.url);
  return async (round: number): Promise<number> => {
    const token = await port.gitToken({ installationId: 1, owner: OWNER, repo: REPO });
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    const target = join(dir, `clone-${round}`);
    const started = performance.now();
    await execFileAsync(
      "git",
      [
        "-c",
        `http.extraHeader=Authorization: Basic ${basic}`,
        "clone",
        "--quiet",
        "--depth",
        "1",
        "--",
        port.cloneUrl(OWNER, REPO),
        target,
      ],
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GIT_CONFIG_NOSYSTEM: "1" } },
    );
    const elapsed = performance.now() - started;
    rmSync(target, { recursive: true, force: true });
    return elapsed;
  };
}
