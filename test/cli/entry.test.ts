// The `stamina` command as an admin meets it first, through the package's bin from a folder
// of their own: -h and --help on every command print its usage and start nothing; the services
// and the admin commands read STAMINA_ENV_FILE (else the .env where they start), so
// `audit export` finds a PostgreSQL deployment's runs; `run` never reads the checkout's .env.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseJsonl } from "../../src/audit/verify.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import { openStore } from "../../src/store/open.ts";
import { createTestDatabase, type TestDatabase } from "../support/postgres.ts";

const BIN = resolve("bin/stamina.mjs");
const dir = mkdtempSync(join(tmpdir(), "stamina-entry-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The bin in `cwd`, with only PATH and `env` set; a command that starts a server times out. */
function stamina(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH, ...options.env },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("the stamina command", () => {
  const asked = [
    ["-h"],
    ["--help"],
    ["help"],
    ["all", "--help"],
    ["serve", "-h"],
    ["worker", "--help"],
    ["run", "--help"],
    ["replay", "-h"],
    ["audit", "--help"],
    ["audit", "verify", "--help"],
    ["audit", "export", "-h"],
    ["memory", "--help"],
    ["memory", "show", "-h"],
    ["doctor", "--help"],
    ["db", "--help"],
    ["db", "copy", "-h"],
    ["config", "check", "--help"],
  ];
  it.each(asked.map((args) => [args.join(" "), args] as const))(
    "prints the usage for `stamina %s` and starts nothing",
    (_line, args) => {
      // PORT taken by nobody: a server started by mistake would hold the process open.
      const { status, stdout, stderr } = stamina(args, { env: { PORT: "0" } });
      expect(stderr).toBe("");
      expect(status).toBe(0);
      expect(stdout).toMatch(/^usage:/);
    },
  );

  it("refuses arguments a service does not take, with its usage", () => {
    const { status, stderr } = stamina(["serve", "--port", "3000"]);
    expect(status).toBe(2);
    expect(stderr).toContain("stamina serve takes no arguments");
    expect(stderr).toContain("usage: stamina all | serve | worker");
  });

  it("says so when STAMINA_ENV_FILE names no file", () => {
    const missing = join(dir, "nowhere.env");
    const { status, stderr } = stamina(["audit", "export", "some-run"], {
      env: { STAMINA_ENV_FILE: missing },
    });
    expect(status).toBe(78);
    expect(stderr).toContain(`STAMINA_ENV_FILE names ${missing}, which does not exist`);
  });
});

describe("settings files", () => {
  let database: TestDatabase;
  let runId: string;
  beforeAll(async () => {
    database = await createTestDatabase("cli_entry");
    const store = await openStore({
      database: { engine: "postgres", url: database.url },
      redactor: createRedactor(),
    });
    try {
      const created = await store.runs.create({
        installationId: 1,
        owner: "octo",
        repo: "demo",
        issueNumber: 7,
        issueTitle: "Say hello",
        issueBody: "",
        requestedBy: "maintainer",
        deliveryId: "delivery-7",
        config: parseRepoConfig({}),
      });
      if (!created.created) throw new Error("the run was not queued");
      runId = created.run.id;
      const claimed = await store.leases.claimNext("worker-1", 60_000);
      expect(claimed?.id).toBe(runId);
      await store.audit.append(runId, [{ type: "run.claimed", data: { attempt: 1 } }], "worker-1");
    } finally {
      await store.close();
    }
  });
  afterAll(() => database.drop());

  it("audit export reads DATABASE_URL from STAMINA_ENV_FILE, wherever it is started", () => {
    const settings = join(dir, "deploy", "stamina.env");
    mkdirSync(join(dir, "deploy"), { recursive: true });
    writeFileSync(settings, `DATABASE_URL=${database.url}\n`);
    const elsewhere = mkdtempSync(join(dir, "cwd-"));
    const { status, stdout, stderr } = stamina(["audit", "export", runId], {
      cwd: elsewhere,
      env: { STAMINA_ENV_FILE: settings },
    });
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(parseJsonl(stdout).map((e) => e.type)).toContain("run.claimed");
  });

  it("audit export reads the .env of the folder it is started in", () => {
    const folder = mkdtempSync(join(dir, "admin-"));
    writeFileSync(join(folder, ".env"), `DATABASE_URL=${database.url}\n`);
    const { status, stdout } = stamina(["audit", "export", runId], { cwd: folder });
    expect(status).toBe(0);
    expect(parseJsonl(stdout).map((e) => e.type)).toContain("run.claimed");
  });

  it("run never reads the .env of the checkout it works on", () => {
    const checkout = mkdtempSync(join(dir, "checkout-"));
    const git = (...args: string[]) => spawnSync("git", args, { cwd: checkout, encoding: "utf8" });
    git("init", "--quiet");
    // The repository's own .env: were it read, the key would be set and the run would go on.
    writeFileSync(join(checkout, ".env"), "ANTHROPIC_API_KEY=sk-ant-from-the-checkout\n");
    git("add", ".env");
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "env");
    const { status, stderr } = stamina(["run", "--repo", ".", "--task", "x"], { cwd: checkout });
    expect(status).toBe(2);
    expect(stderr).toContain("stamina run: set ANTHROPIC_API_KEY");
    expect(stderr).toContain("never the checkout's");
  });
});
