// The first start's setup page: Probot's own handlers, run by Stamina, against the fake GitHub's
// manifest conversion. What it registers goes into the operator's settings file, which keeps
// every line it had (a copy of .env.example stays a copy of .env.example, the app's settings
// filled in) and ends with a newline; the page listens where HOST says. Then, as its own process:
// `stamina serve` with no APP_ID opens the page, and started again it serves with what the page
// wrote.
import {
  appendFileSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { parseEnv } from "node:util";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startSetupPage, type SetupPage } from "../../src/cli/setup.ts";
import { readSettings } from "../../src/settings.ts";
import { appKeyPair } from "../support/app-keys.ts";
import { startAppProcess } from "../support/app-process.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { freePort } from "../support/free-port.ts";

const keys = appKeyPair();
/** What the setup page writes. */
const WRITTEN = [
  "APP_ID",
  "PRIVATE_KEY",
  "WEBHOOK_SECRET",
  "GITHUB_CLIENT_ID",
  "GITHUB_CLIENT_SECRET",
];
const EXAMPLE = readFileSync(".env.example", "utf8");

let github: FakeGitHub;
let dir: string;
let page: SetupPage | undefined;
const logLines: Array<Record<string, unknown>> = [];
const log = pino(
  { level: "debug" },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  }),
);
const kept = { GHE_HOST: process.env.GHE_HOST, GHE_PROTOCOL: process.env.GHE_PROTOCOL };

beforeAll(async () => {
  github = await startFakeGitHub({ appId: 1, appPublicKeyPem: keys.publicKey });
  // Probot's page trades the code with GHE_HOST's GitHub, read when the person comes back.
  process.env.GHE_HOST = github.host;
  process.env.GHE_PROTOCOL = "http";
});
afterAll(async () => {
  Object.assign(process.env, kept);
  for (const [key, value] of Object.entries(kept)) if (value === undefined) delete process.env[key];
  await github.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stamina-setup-"));
  logLines.length = 0;
});
afterEach(async () => {
  await page?.stop();
  page = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Whether something accepts a connection at host:port. */
function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function openPage(host: string, envFile: string): Promise<SetupPage> {
  page = await startSetupPage({ host, port: await freePort(host), envFile, log });
  return page;
}

describe("the setup page", () => {
  it("registers the app into a copy of .env.example, keeping every line, on HOST", async () => {
    const envFile = join(dir, ".env");
    copyFileSync(".env.example", envFile);
    const { host, port } = await openPage("127.0.0.2", envFile);
    expect(host).toBe("127.0.0.2");
    expect(await answers("127.0.0.2", port)).toBe(true);
    expect(await answers("127.0.0.1", port)).toBe(false);

    // The person comes back from GitHub with a code; the page trades it and sends them on.
    const offer = github.offerManifestCode(keys.privateKey);
    const back = await fetch(`http://127.0.0.2:${port}/probot/setup?code=${offer.code}`, {
      redirect: "manual",
    });
    expect(back.status).toBe(302);
    expect(back.headers.get("location")).toBe(`${github.url}/apps/stamina/installations/new`);

    const text = readFileSync(envFile, "utf8");
    expect(text.endsWith("\n")).toBe(true);
    // Every line of the example is still there, in its order; only the settings the page sets
    // changed, where they stood (the example has them all; the next test adds some at the end).
    const before = EXAMPLE.split("\n");
    const after = text.split("\n");
    const isWritten = (line: string) => WRITTEN.some((key) => line.startsWith(`${key}=`));
    expect(after.filter((line) => !isWritten(line))).toEqual(before.filter((l) => !isWritten(l)));
    expect(after.length).toBe(before.length);
    const at = (key: string) => before.findIndex((line) => line.startsWith(`${key}=`));
    expect(after[at("GITHUB_CLIENT_ID")]).toBe(`GITHUB_CLIENT_ID=${offer.clientId}`);
    expect(after[at("GITHUB_CLIENT_SECRET")]).toBe(`GITHUB_CLIENT_SECRET=${offer.clientSecret}`);
    const values = parseEnv(text);
    expect(values).toMatchObject({
      APP_ID: "1",
      PRIVATE_KEY: keys.privateKey,
      WEBHOOK_SECRET: offer.webhookSecret,
    });
    // And Stamina reads the whole file as its settings.
    const settings = readSettings({ ...values, GHE_HOST: github.host, GHE_PROTOCOL: "http" });
    expect(settings).toMatchObject({
      appId: 1,
      webhookSecret: offer.webhookSecret,
      host: "0.0.0.0",
    });
    expect(settings.privateKey).toBe(keys.privateKey);
    expect(settings.access.oauthClient).toEqual({ id: offer.clientId, secret: offer.clientSecret });
    expect(logLines.some((l) => String(l.msg).includes("restart Stamina"))).toBe(true);
    expect(JSON.stringify(logLines)).not.toContain(offer.webhookSecret);
  });

  it("ends a settings file without a final newline with one, and keeps its mode", async () => {
    const envFile = join(dir, "stamina.env");
    writeFileSync(envFile, "# mine\nLOG_LEVEL=debug", { mode: 0o640 });
    const { port } = await openPage("127.0.0.1", envFile);
    // Probot's other way in: an app registered already, its settings pasted into the page.
    const imported = await fetch(`http://127.0.0.1:${port}/probot/import`, {
      method: "POST",
      body: JSON.stringify({ appId: 7, pem: keys.privateKey, webhook_secret: "pasted-secret" }),
    });
    expect(imported.status).toBe(200);
    const text = readFileSync(envFile, "utf8");
    expect(text).toBe(
      `# mine\nLOG_LEVEL=debug\nAPP_ID=7\nPRIVATE_KEY="${keys.privateKey.replace(/\n/g, "\\n")}"\nWEBHOOK_SECRET=pasted-secret\n`,
    );
    expect(statSync(envFile).mode & 0o777).toBe(0o640);
  });

  it("listens on an IPv6 HOST too", async () => {
    const { host, port } = await openPage("::1", join(dir, ".env"));
    expect(host).toBe("[::1]");
    expect(await answers("::1", port)).toBe(true);
    expect(await answers("127.0.0.1", port)).toBe(false);
  });
});

describe("stamina serve with no APP_ID", () => {
  it("opens the setup page on HOST, writes STAMINA_ENV_FILE, and serves once started again", async () => {
    const envFile = join(dir, "settings.env");
    copyFileSync(".env.example", envFile);
    const port = await freePort("127.0.0.2");
    const env = {
      STAMINA_ENV_FILE: envFile,
      HOST: "127.0.0.2",
      PORT: String(port),
      GHE_HOST: github.host,
      GHE_PROTOCOL: "http",
      STAMINA_DATA_DIR: join(dir, "data"),
      HOME: dir,
    };
    const setup = startAppProcess("serve", env);
    await setup.waitForLog(/APP_ID is not set: open http:\/\/127\.0\.0\.2:\d+/, "the setup page");
    const offer = github.offerManifestCode(keys.privateKey);
    const back = await fetch(`http://127.0.0.2:${port}/probot/setup?code=${offer.code}`, {
      redirect: "manual",
    });
    expect(back.status).toBe(302);
    await setup.waitForLog(/setup wrote APP_ID, PRIVATE_KEY, WEBHOOK_SECRET/, "the settings");
    expect(await setup.stop()).toBe(0);
    expect(setup.logs()).not.toContain(offer.webhookSecret);
    // The README's next step, as an operator types it: the key lands on a line of its own.
    appendFileSync(envFile, "ANTHROPIC_API_KEY=sk-ant-setup-test\n");
    expect(parseEnv(readFileSync(envFile, "utf8"))).toMatchObject({
      APP_ID: "1",
      ANTHROPIC_API_KEY: "sk-ant-setup-test",
    });

    // Started again, it reads what the page wrote: GitHub takes the key, and it serves.
    const served = startAppProcess("serve", env);
    await served.waitForLog(/Stamina is listening on http:\/\/127\.0\.0\.2:/, "the server");
    expect(await served.stop()).toBe(0);
  });
});
