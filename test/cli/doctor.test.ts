// `stamina doctor` as an admin runs it: against a good setup every check passes, and each
// broken setting (a key that is not the app's, an unreachable database, a webhook secret that
// is not GitHub's, no bubblewrap, a model that cannot be reached or refuses the key) fails with
// the setting named. The services run the same checks at start and stop in one line.
import { execFile } from "node:child_process";
import { createServer as createHttpServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { doctorCommand } from "../../src/cli/doctor.ts";
import { appKeyPair } from "../support/app-keys.ts";
import { startAppProcess } from "../support/app-process.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { startModelServer, type ModelServer } from "../support/model-server/index.ts";

const MODEL_KEY = "sk-ant-doctor-key-0123456789abcdef";
const SECRET = "doctor-webhook-secret-0123456789";
const dir = mkdtempSync(join(tmpdir(), "stamina-doctor-"));
const keys = appKeyPair();
let github: FakeGitHub;
let model: ModelServer;
/** A loopback port nothing listens on. */
let closedPort: number;

beforeAll(async () => {
  github = await startFakeGitHub({ appId: 1, appPublicKeyPem: keys.publicKey });
  model = await startModelServer([], { apiKey: MODEL_KEY });
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
});
afterAll(async () => {
  await github.close();
  await model.close();
  rmSync(dir, { recursive: true, force: true });
});

function goodEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: dir,
    APP_ID: "1",
    PRIVATE_KEY: keys.privateKey,
    WEBHOOK_SECRET: SECRET,
    GHE_HOST: github.host,
    GHE_PROTOCOL: "http",
    ANTHROPIC_API_KEY: MODEL_KEY,
    ANTHROPIC_BASE_URL: model.url,
    STAMINA_DATA_DIR: join(dir, "data"),
  };
}

async function doctor(env: Record<string, string>) {
  let out = "";
  let err = "";
  const sink = (write: (s: string) => void) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        write(chunk.toString());
        done();
      },
    });
  const status = await doctorCommand([], {
    out: sink((s) => (out += s)),
    err: sink((s) => (err += s)),
    env,
  });
  return { status, out, err };
}

/** The line of one check, by its title. */
const line = (out: string, title: string) =>
  out.split("\n").find((l) => l.includes(` ${title}: `)) ?? `(no ${title} line in:\n${out})`;

describe("stamina doctor", () => {
  it("passes every check against a good setup", async () => {
    const { status, out } = await doctor(goodEnv());
    expect(out).toContain("Every check passed.");
    expect(line(out, "GitHub App")).toMatch(/^ok {3}GitHub App: .* app stamina \(id 1\)/);
    expect(line(out, "webhook secret")).toMatch(/^ok/);
    expect(line(out, "database")).toMatch(/^ok .*SQLite.*first start creates it/);
    expect(line(out, "sandbox")).toMatch(/^(ok|warn) {1,3}sandbox: bubblewrap starts/);
    expect(line(out, "model")).toMatch(/^ok {3}model: the Claude API at .* accepts the key/);
    expect(status).toBe(0);
  });

  it("names PRIVATE_KEY for a key that is no key, and APP_ID and PRIVATE_KEY for another app's", async () => {
    const malformed = await doctor({
      ...goodEnv(),
      PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\\nnot a key\\n-----END RSA PRIVATE KEY-----",
    });
    expect(malformed.status).toBe(1);
    expect(line(malformed.out, "GitHub App")).toMatch(
      /^FAIL GitHub App: PRIVATE_KEY .* is not the app's private key/,
    );
    const other = await doctor({ ...goodEnv(), PRIVATE_KEY: appKeyPair().privateKey });
    expect(other.status).toBe(1);
    expect(line(other.out, "GitHub App")).toMatch(
      /refused the app's credentials \(401: .*\): APP_ID must be the app's id and PRIVATE_KEY/,
    );
  });

  it("names DATABASE_URL for a database that does not answer, without its password", async () => {
    const { status, out } = await doctor({
      ...goodEnv(),
      DATABASE_URL: `postgres://stamina:hunter2-secret@127.0.0.1:${closedPort}/stamina`,
    });
    expect(status).toBe(1);
    expect(line(out, "database")).toMatch(
      new RegExp(
        `^FAIL database: DATABASE_URL: PostgreSQL at 127.0.0.1:${closedPort}/stamina could not be opened \\(ECONNREFUSED\\); start the database or correct DATABASE_URL$`,
      ),
    );
    expect(out).not.toContain("hunter2");
  });

  it("names WEBHOOK_SECRET when GitHub's latest delivery was refused for its signature", async () => {
    // The app's endpoint answers GitHub's signed delivery 401, as Stamina does for a wrong secret.
    const endpoint = createHttpServer((_req, res) => res.writeHead(401).end());
    await new Promise<void>((r) => endpoint.listen(0, "127.0.0.1", r));
    const port = (endpoint.address() as { port: number }).port;
    github.setWebhook({ url: `http://127.0.0.1:${port}/api/github/webhooks`, secret: "not-ours" });
    try {
      await github.deliver("ping", { zen: "Keep it logically awesome.", hook_id: 1 });
      const { status, out } = await doctor(goodEnv());
      expect(status).toBe(1);
      expect(line(out, "webhook secret")).toMatch(
        /^FAIL webhook secret: GitHub's latest delivery .* was refused with 401.*WEBHOOK_SECRET must be the secret in the app's settings/,
      );
      expect(line(out, "GitHub App")).toMatch(/^ok/);
    } finally {
      await new Promise<void>((r) => endpoint.close(() => r()));
    }
  });

  it("names STAMINA_SANDBOX when bubblewrap is missing", async () => {
    // As on a machine without it: the bwrap named is not there.
    const { status, out } = await doctor({ ...goodEnv(), STAMINA_BWRAP: join(dir, "no-bwrap") });
    expect(status).toBe(1);
    expect(line(out, "sandbox")).toMatch(
      /^FAIL sandbox: .*no-bwrap --version failed: .*Install bubblewrap .*STAMINA_SANDBOX=process/,
    );
  });

  it("names ANTHROPIC_BASE_URL and its URL for a model that cannot be reached, ANTHROPIC_API_KEY for a refused key", async () => {
    const url = `http://127.0.0.1:${closedPort}`;
    const unreachable = await doctor({ ...goodEnv(), ANTHROPIC_BASE_URL: url });
    expect(unreachable.status).toBe(1);
    expect(line(unreachable.out, "model")).toMatch(
      new RegExp(
        `^FAIL model: the Claude API cannot be reached at ${url}.*check ANTHROPIC_BASE_URL`,
      ),
    );
    const refused = await doctor({
      ...goodEnv(),
      ANTHROPIC_API_KEY: "sk-ant-wrong-key-000000000000",
    });
    expect(refused.status).toBe(1);
    expect(line(refused.out, "model")).toMatch(
      /^FAIL model: the Claude API at .* refused the credentials \(401: .*\): check ANTHROPIC_API_KEY/,
    );
    expect(refused.out).not.toContain("sk-ant-wrong-key");
  });

  it("says which setting is missing, exit 78, when the settings cannot be read", async () => {
    const env = goodEnv();
    delete (env as Record<string, string | undefined>).WEBHOOK_SECRET;
    const { status, err } = await doctor(env);
    expect(status).toBe(78);
    expect(err).toMatch(/^FAIL settings: Missing settings: WEBHOOK_SECRET/);
  });
});

describe("the services' checks at start", () => {
  const BIN = resolve("bin/stamina.mjs");
  /** The bin, run apart (the fakes answer from this process, so it must not block). */
  const start = (mode: string, env: Record<string, string>) =>
    new Promise<{ status: number | null; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [BIN, mode],
        {
          cwd: dir,
          env: { HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "fatal", ...env },
          timeout: 60_000,
        },
        (error, _stdout, stderr) => done({ status: error ? Number(error.code ?? -1) : 0, stderr }),
      );
    });

  it("stops a worker whose model refuses the key, in one line naming the setting", async () => {
    const { status, stderr } = await start("worker", {
      ...goodEnv(),
      ANTHROPIC_API_KEY: "sk-ant-wrong-key-000000000000",
    });
    expect(status).toBe(78);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(
      /^stamina: the Claude API at .* refused the credentials .*check ANTHROPIC_API_KEY/,
    );
  });

  it("starts a worker whose model cannot be reached, saying so at error level with the URL", async () => {
    const url = `http://127.0.0.1:${closedPort}`;
    const worker = startAppProcess("worker", { ...goodEnv(), ANTHROPIC_BASE_URL: url });
    try {
      const [line] = await worker.waitForLog(
        /"level":50[^\n]*cannot be reached[^\n]*/,
        "the model's line",
      );
      expect(line).toContain(`the Claude API cannot be reached at ${url}`);
      expect(line).toContain('"setting":"ANTHROPIC_BASE_URL"');
      await worker.waitForLog(/sandbox: bubblewrap/, "the worker's start");
    } finally {
      await worker.stop();
    }
  });

  it("stops a service whose key is not the app's, before it takes any delivery", async () => {
    const { status, stderr } = await start("serve", {
      ...goodEnv(),
      PRIVATE_KEY: appKeyPair().privateKey,
    });
    expect(status).toBe(78);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(
      /^stamina: .* refused the app's credentials .*APP_ID must be the app's id and PRIVATE_KEY/,
    );
  });

  it("stops in one line naming DATABASE_URL when the database does not answer", async () => {
    const { status, stderr } = await start("serve", {
      ...goodEnv(),
      DATABASE_URL: `postgres://stamina@127.0.0.1:${closedPort}/stamina`,
    });
    expect(status).toBe(78);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(
      /^stamina: DATABASE_URL: PostgreSQL at 127\.0\.0\.1:\d+\/stamina could not be opened \(ECONNREFUSED\)/,
    );
  });

  it("stops in one line naming PORT when the port is taken", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", r));
    const port = (taken.address() as { port: number }).port;
    try {
      const result = await start("serve", { ...goodEnv(), PORT: String(port) });
      expect(result.status).toBe(78);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(
        new RegExp(`^stamina: PORT ${port} on 127.0.0.1 is in use by another process`),
      );
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});
