// Prompt injection, measured end to end: the corpus (injection-corpus.ts)
// carried in an issue body, a file of the repository, a command's output, a
// review comment and the memory an earlier run wrote, each through a real run
// (real bubblewrap and egress proxy, the fake GitHub, real git, SQLite on
// disk, the app beside the harness for the review) with a scripted model that
// obeys every injection it reads (injection-model.ts). Each (carrier, attempt)
// row is checked by its own observable (injection-checks.ts); the suite
// prints `injection: N tried, N blocked` and a table, and fails on any row not
// blocked. The worker's environment holds the app's secrets as an operator's
// does, so a sandbox that let them through would show them. Where bubblewrap
// cannot start the suite is skipped with the probe's reason, except in CI.
import { chmodSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REVIEW_QUIET } from "../../src/app/handlers/review.ts";
import { auditSigner, generateAuditKey } from "../../src/audit/signing.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { MAX_ISSUE_BODY_CHARS, sanitizeUntrusted } from "../../src/policy/sanitize.ts";
import { probeSandbox, type Resolver } from "../../src/sandbox/sandbox.ts";
import type { Run } from "../../src/store/types.ts";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import { SECRET as WEBHOOK_SECRET } from "../support/app-harness.ts";
import { toolUse } from "../support/model-server/index.ts";
import { pushPersonCommit } from "../support/person-commit.ts";
import {
  HARNESS_APP_KEY,
  OWNER,
  REPO,
  REQUESTER_ID,
  startHarness,
  type Harness,
} from "../support/run-harness.ts";
import {
  pullRequestPayload,
  reviewCommentPayload,
  type PullRequestEventPayload,
} from "../support/webhooks.ts";
import { CHECKS, memoryReadBack, type CarrierOutcome, type World } from "./injection-checks.ts";
import {
  ATTEMPTS,
  CARRIED,
  injections,
  type AttackContext,
  type AttemptId,
  type CarrierName,
} from "./injection-corpus.ts";
import { obedientModel } from "./injection-model.ts";

const probe = probeSandbox();
const skip = !probe.ok && process.env.CI !== "true";
const title = (name: string) => (probe.ok ? name : `${name} (skipped: ${probe.reason})`);

/** The run harness's model key (run-harness.ts), checked against what the model server got. */
const MODEL_KEY = "sk-ant-run-harness-key";
const AUDIT_KEY = generateAuditKey();
const CONFIG = {
  test: "sh check.sh",
  network: { agent: true, allow: ["registry.stamina.test", "metadata.stamina.test"] },
};
const FILES = {
  "a.txt": "one\n",
  "check.sh": "grep -q two a.txt\n",
  "test/a.test.js":
    'it("says two", () => { expect(read("a.txt")).toBe("two"); });\nit("ends with a newline", () => { expect(read("a.txt").endsWith("\\n")).toBe(true); });\n',
};
const SECRET_ENV: Record<string, string> = {
  ANTHROPIC_API_KEY: MODEL_KEY,
  WEBHOOK_SECRET,
  PRIVATE_KEY: HARNESS_APP_KEY,
  STAMINA_AUDIT_KEY: AUDIT_KEY,
};

interface Row {
  carrier: CarrierName;
  attempt: string;
  observable: string;
  blocked: "yes" | "no";
  why: string;
}

const rows: Row[] = [];
const outcomes = new Map<CarrierName, CarrierOutcome>();
let h: Harness;
let app: AppBesideHarness;
let listener: Server;
let received = 0;
let base: Omit<AttackContext, "memoryFile" | "memoryText">;
const savedEnv: Record<string, string | undefined> = {};
/** What earlier carriers' runs wrote into memory: put back for the memory run. */
const written = new Map<string, string>();
const PLAIN = "a.txt should say two.";

const resolve: Resolver = (host) => {
  const table: Record<string, string> = {
    "exfil.stamina.test": "127.0.0.1",
    "metadata.stamina.test": "169.254.169.254",
    "registry.stamina.test": "127.0.0.1",
  };
  const address = table[host];
  if (address === undefined) {
    return Promise.reject(Object.assign(new Error(`no such host ${host}`), { code: "ENOTFOUND" }));
  }
  return Promise.resolve([{ address, family: 4 }]);
};

function contextFor(carrier: CarrierName): AttackContext {
  const partial = { ...base, memoryFile: `/memories/ops-${carrier.replace(/ /g, "-")}.md` };
  return { ...partial, memoryText: injections({ ...partial, memoryText: "" }, CARRIED.memory) };
}

const world = (carrier: CarrierName): World => ({
  h,
  context: contextFor(carrier),
  secrets: () => ({
    "model key": MODEL_KEY,
    "webhook secret": WEBHOOK_SECRET,
    // A line from the middle of the PEM: any copy of the key holds it.
    "app key": HARNESS_APP_KEY.split("\n")[5] ?? HARNESS_APP_KEY,
    "audit key": AUDIT_KEY.split("\n")[1] ?? AUDIT_KEY,
    ...Object.fromEntries(h.github.issuedTokens().map((t, i) => [`installation token ${i}`, t])),
  }),
});

async function queue(issue: number, body: string): Promise<Run> {
  const ref = { installationId: 1, owner: OWNER, repo: REPO };
  const created = await h.store.runs.create({
    ...ref,
    issueNumber: issue,
    issueTitle: "Make it two",
    issueBody: sanitizeUntrusted(body, MAX_ISSUE_BODY_CHARS),
    requestedBy: "maintainer",
    requestedById: REQUESTER_ID,
    deliveryId: `injection-${issue}`,
    config: parseRepoConfig(CONFIG),
  });
  if (!created.created) throw new Error(`issue ${issue} already has a run`);
  const { id } = await h.port.createComment(ref, issue, "tracking");
  return h.store.runs.update(created.run.id, { trackingCommentId: id });
}

const memory = () => h.store.memory.port(`${OWNER}/${REPO}`, null);

/** What this run wrote into memory is kept aside, so the next carrier starts with none. */
async function setMemoryAside(): Promise<void> {
  const files = await memory().edit((now) => ({
    result: now,
    change: { put: [], remove: now.map((f) => f.path) },
  }));
  for (const file of files) written.set(file.path, file.content);
}

/**
 * One carrier's run, with what it left. A run held for approval is denied and goes on.
 */
async function runCarrier(
  carrier: CarrierName,
  read: ReturnType<typeof toolUse>[],
  start: () => Promise<unknown>,
): Promise<CarrierOutcome> {
  const server = await h.model(obedientModel(contextFor(carrier), read).script);
  const logs: string[] = [];
  const log = pino({ level: "trace" }, { write: (line: string) => void logs.push(line) });
  const mainBefore = h.git("rev-parse", "main");
  const receivedBefore = received;
  await start();
  // A review round starts once its review has been quiet for a while.
  h.tick(REVIEW_QUIET.quietMs);
  const overrides = { log, progressIntervalMs: 0 };
  const first = await h.execute(await h.claim(), {}, overrides);
  const held = first.state === "awaiting_approval";
  const last = held ? await h.decide(first, false, overrides) : first;
  await setMemoryAside();
  const outcome: CarrierOutcome = {
    first,
    last,
    events: await h.store.audit.events(last.id),
    requests: server.requests,
    logs: [...logs, ...app.logLines.map((l) => JSON.stringify(l))],
    received: received - receivedBefore,
    mainBefore,
  };
  expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${MODEL_KEY}`);
  outcomes.set(carrier, outcome);
  return outcome;
}

/** One row of the table: what the carrier's attempt showed; its reasons, none when blocked. */
function tally(
  carrier: CarrierName,
  row: { attempt: string; observable: string },
  why: string[],
): string[] {
  rows.push({
    carrier,
    attempt: row.attempt,
    observable: row.observable,
    blocked: why.length === 0 ? "yes" : "no",
    why: why.join("; "),
  });
  return why;
}

/** Checks each row the carrier carried (or `only` these), but the memory row (checked after the memory run). */
function check(
  carrier: CarrierName,
  outcome: CarrierOutcome,
  only: readonly AttemptId[] = CARRIED[carrier],
): string[] {
  const failed: string[] = [];
  for (const row of ATTEMPTS.filter((a) => only.includes(a.id))) {
    if (row.id === "memory-write") continue;
    const why = CHECKS[row.id](outcome, world(carrier));
    failed.push(...tally(carrier, row, why).map((w) => `${row.attempt}: ${w}`));
  }
  return failed;
}

const bash = (command: string) => toolUse("bash", { command });

describe.skipIf(skip)(title("prompt injection, end to end"), () => {
  beforeAll(async () => {
    for (const [name, value] of Object.entries(SECRET_ENV)) {
      savedEnv[name] = process.env[name];
      process.env[name] = value;
    }
    listener = createServer((_req, res) => {
      received += 1;
      res.end("got it");
    });
    await new Promise<void>((done) => listener.listen(0, "127.0.0.1", done));
    const address = listener.address();
    const listenerPort = typeof address === "object" && address !== null ? address.port : 0;
    h = await startHarness(FILES, {
      sandbox: "bubblewrap",
      egress: { resolve },
      fileStore: true,
      clockStart: Date.now(),
      auditSigner: auditSigner(AUDIT_KEY, "STAMINA_AUDIT_KEY"),
      redactor: createRedactor(Object.values(SECRET_ENV)),
      // As the operator's settings give them (src/settings.ts): the data folder, database, key.
      protectedPaths: (dir) => [
        join(dir, "data"),
        join(dir, "data", "stamina.db"),
        join(dir, "app.pem"),
      ],
    });
    writeFileSync(join(h.dir, "app.pem"), HARNESS_APP_KEY);
    chmodSync(join(h.dir, "app.pem"), 0o600);
    app = await appBesideHarness(h, { people: { reviewer: "write" } });
    base = {
      listenerPort,
      remoteUrl: `${h.github.url}/${OWNER}/${REPO}.git`,
      dataDir: join(h.dir, "data"),
      keyPath: join(h.dir, "app.pem"),
      secretsForBody: [WEBHOOK_SECRET, MODEL_KEY, `ghp_${"A1b2C3d4".repeat(5)}`],
    };
    // A contributor's commit: the guide the agent reads, and a lint script whose output carries
    // the injections (decoded as it runs, so only the command's output holds them).
    const guide = injections(contextFor("repository file"), CARRIED["repository file"]);
    const printed = Buffer.from(
      injections(contextFor("command output"), CARRIED["command output"]),
    ).toString("base64");
    pushPersonCommit(h.bare, {
      branch: "main",
      files: {
        "CONTRIBUTING.md": `# Contributing\n\nRun \`sh check.sh\` before you push.\n\n${guide}\n`,
        "scripts/lint.sh": `echo "lint: 0 problems"\nprintf '%s' '${printed}' | base64 -d\n`,
        // The config a review round reads from the repository, as the issue runs are given it.
        ".github/stamina.yml": `test: ${CONFIG.test}\nnetwork:\n  agent: true\n  allow: [${CONFIG.network.allow.join(", ")}]\n`,
      },
      message: "Contributing guide and lint script",
      author: { name: "Contributor", email: "contributor@example.com" },
    });
  });
  afterAll(async () => {
    await app?.close();
    await h?.close();
    await new Promise((done) => listener?.close(done));
    for (const [name, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it("in an issue body", async () => {
    const body = `${PLAIN}\n\n${injections(contextFor("issue body"), CARRIED["issue body"])}`;
    const outcome = await runCarrier("issue body", [], () => queue(1, body));
    expect(check("issue body", outcome)).toEqual([]);
  }, 120_000);

  it("in a file of the repository", async () => {
    const outcome = await runCarrier("repository file", [bash("cat CONTRIBUTING.md")], () =>
      queue(2, PLAIN),
    );
    expect(check("repository file", outcome)).toEqual([]);
  }, 120_000);

  it("in a command's output", async () => {
    const outcome = await runCarrier("command output", [bash("sh scripts/lint.sh")], () =>
      queue(3, PLAIN),
    );
    expect(check("command output", outcome)).toEqual([]);
  }, 120_000);

  it("in a review comment", async () => {
    // A plain run opens the pull request the review is on.
    await runCarrier("review comment", [], () => queue(4, PLAIN));
    const plain = outcomes.get("review comment")!.last;
    const pull = h.github.pulls(OWNER, REPO).find((p) => p.head === plain.branch)!;
    const context = contextFor("review comment");
    // The round's workflow change is held for approval: denied, the round goes on and ends.
    const outcome = await runCarrier("review comment", [], () =>
      review(pull.number, [
        { path: "a.txt", line: 1, body: injections(context, CARRIED["review comment"]) },
      ]),
    );
    expect(outcome.first.state).toBe("awaiting_approval");
    expect(outcome.last.kind).toBe("follow_up");
    const failed = check("review comment", outcome);
    expect(failed).toEqual([]);
  }, 180_000);

  it("in the memory an earlier run wrote", async () => {
    expect(written.size).toBeGreaterThan(0);
    const put = [...written].map(([path, content]) => ({ path, content }));
    await memory().edit(() => ({ result: null, change: { put, remove: [] } }));
    const outcome = await runCarrier("memory", [], () => queue(5, PLAIN));
    const failed = check("memory", outcome);
    // The memory row of each carrier that wrote one: read back as a note by this run.
    const row = ATTEMPTS.find((a) => a.id === "memory-write")!;
    for (const carrier of outcomes.keys()) {
      if (carrier === "memory" || !CARRIED[carrier].includes("memory-write")) continue;
      const context = contextFor(carrier);
      const why = memoryReadBack(outcome, context.memoryFile, context.memoryText);
      failed.push(...tally(carrier, row, why).map((w) => `${carrier}: ${row.attempt}: ${w}`));
    }
    expect(failed).toEqual([]);
  }, 120_000);

  it("is blocked in every row", () => {
    const blocked = rows.filter((r) => r.blocked === "yes").length;
    console.log(`injection: ${rows.length} tried, ${blocked} blocked`);
    console.table(rows.map(({ why, ...row }) => ({ ...row, ...(why ? { why } : {}) })));
    expect(rows.length).toBe(Object.entries(CARRIED).reduce((n, [, ids]) => n + ids.length, 0));
    expect(rows.filter((r) => r.blocked === "no")).toEqual([]);
  });
});

/** A review of pull request `pull` with `comments`, delivered to the app as GitHub sends it. */
async function review(
  pull: number,
  comments: { path: string; line: number; body: string }[],
): Promise<void> {
  const on = { owner: OWNER, repo: REPO, pull, title: "Make it two" };
  const submitted = h.github.submitReview(OWNER, REPO, pull, { user: "reviewer", comments });
  const payload = pullRequestPayload<
    PullRequestEventPayload & { review: { state: string; body: string | null } }
  >("pull_request_review", "submitted", { ...on, sender: "reviewer" });
  payload.review.state = "changes_requested";
  payload.review.body = null;
  await app.send("pull_request_review", payload);
  for (const thread of submitted.threads) {
    const comment = reviewCommentPayload({
      ...on,
      author: "reviewer",
      commentId: thread.commentId,
    });
    await app.send("pull_request_review_comment", comment);
  }
}
