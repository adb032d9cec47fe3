// The secret scan on what a push sends, through the real push path
// (pushToBranch: real git, a bare repository as the remote, the store on
// SQLite): the blobs themselves, not their rendering in a diff. A file marked
// `-diff`, a file with a NUL byte, the same token in three files, a secret
// added and then removed, a secret only secretlint's rules know, the run's own
// token in base64, and a gitlink the push adds are each refused, naming file,
// line and rule and never the value; a gitlink the base already had is not.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRedactor, type Redactor } from "../../src/observability/redact.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { RunFailure } from "../../src/runs/failure.ts";
import { pushToBranch } from "../../src/runs/milestone.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import { fixtureGit } from "../workspace/helpers.ts";

const TOKEN = `ghp_${"A1b2C3d4E5".repeat(4)}`;
const SLACK = `xoxb-123456789012-1234567890123-${"aBcDeFgHiJ".repeat(2)}abcd`;
const BRANCH = "stamina/1-scan";

const git = (cwd: string, ...args: string[]) => fixtureGit(cwd, ...args).trim();

let dir: string;
let bare: string;
let work: string;
let store: Store;
let runId: string;
let base: string;

/** A world: a remote with main (holding `files`), the run's branch at main, a clone to commit in. */
async function world(files: Record<string, string> = { "a.txt": "one\n" }) {
  bare = join(dir, "remote.git");
  work = join(dir, "work");
  git(dir, "init", "--quiet", "--bare", "-b", "main", bare);
  git(dir, "clone", "--quiet", bare, work);
  write(files);
  commit("base");
  git(work, "push", "--quiet", "origin", "HEAD:main", `HEAD:refs/heads/${BRANCH}`);
  base = git(work, "rev-parse", "HEAD");
  store = await openStore({ sqlitePath: ":memory:", redactor: createRedactor() });
  const created = await store.runs.create({
    installationId: 1,
    owner: "acme",
    repo: "app",
    issueNumber: 1,
    issueTitle: "Scan",
    issueBody: "",
    requestedBy: "maintainer",
    requestedById: 7,
    deliveryId: "d1",
    config: parseRepoConfig({}),
  });
  if (!created.created) throw new Error("the run was not created");
  runId = created.run.id;
  await store.runs.update(runId, { baseSha: base });
}

function write(files: Record<string, string | Buffer>) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), content);
  }
}

function commit(message: string) {
  git(work, "add", "--all");
  git(work, "commit", "--quiet", "--allow-empty", "-m", message);
  return git(work, "rev-parse", "HEAD");
}

/** Pushes HEAD as a run does; the failure's text, or null when it went. */
async function pushRun(redactor?: Redactor): Promise<string | null> {
  const target = {
    store,
    runId,
    worktree: work,
    audit: {
      record: async (type: string, data: Record<string, unknown>) => {
        await store.audit.append(runId, [{ type, data }]);
      },
    },
    url: bare,
    lease: { branch: BRANCH, defaultBranch: "main", sha: base },
    token: () => Promise.resolve("unused"),
    ...(redactor ? { redactor } : {}),
  };
  try {
    await pushToBranch(target)(git(work, "rev-parse", "HEAD"), new AbortController().signal);
    return null;
  } catch (error) {
    if (error instanceof RunFailure) return error.message;
    throw error;
  }
}

async function lastScan() {
  const events = await store.audit.events(runId);
  const scans = events.filter((e) => e.type === "git.secret_scan");
  return { scan: scans.at(-1)?.data, all: JSON.stringify(events) };
}

const remoteBranch = () => git(bare, "rev-parse", `refs/heads/${BRANCH}`);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stamina-push-scan-"));
});
afterEach(async () => {
  await store?.close?.();
  rmSync(dir, { recursive: true, force: true });
});

describe("the secret scan before a push", () => {
  it("reads a file marked -diff in .gitattributes as the bytes it is", async () => {
    await world();
    write({ ".gitattributes": "*.dat -diff\n", "keys.dat": `one\ntoken=${TOKEN}\n` });
    commit("data");
    const refused = await pushRun();
    expect(refused).toContain("GitHub token in `keys.dat` line 2");
    expect(refused).not.toContain(TOKEN);
    expect(remoteBranch()).toBe(base);
    const { scan, all } = await lastScan();
    expect(scan).toMatchObject({
      result: "blocked",
      findings: [{ path: "keys.dat", line: 2, kind: "GitHub token" }],
    });
    expect(all).not.toContain(TOKEN);
    // The commit is undone, its change kept in the working tree.
    expect(git(work, "rev-parse", "HEAD")).toBe(base);
  });

  it("scans a file holding a NUL byte, past the NUL", async () => {
    await world();
    write({
      "blob.bin": Buffer.concat([Buffer.from([0, 1, 2, 0x0a]), Buffer.from(`x ${TOKEN}\n`)]),
    });
    commit("binary");
    expect(await pushRun()).toContain("GitHub token in `blob.bin` line 2");
    expect(remoteBranch()).toBe(base);
  });

  it("names each of three files that hold the same token", async () => {
    await world();
    write({ ".gitattributes": "b.txt -diff\n", "a.js": `"${TOKEN}"\n`, "b.txt": `${TOKEN}\n` });
    write({ "c.bin": Buffer.concat([Buffer.from([0]), Buffer.from(`\n\n${TOKEN}`)]) });
    commit("three");
    await pushRun();
    const { scan } = await lastScan();
    const findings = (scan?.findings ?? []) as { path: string; line: number; kind: string }[];
    expect(findings.filter((f) => f.kind === "GitHub token")).toEqual([
      { path: "a.js", line: 1, kind: "GitHub token" },
      { path: "b.txt", line: 1, kind: "GitHub token" },
      { path: "c.bin", line: 3, kind: "GitHub token" },
    ]);
  });

  it("finds a secret that one commit adds and a later one removes: history is pushed too", async () => {
    await world();
    write({ "config.js": `const t = "${TOKEN}";\n` });
    commit("add the token");
    write({ "config.js": "const t = process.env.T;\n" });
    commit("read it from the environment");
    expect(await pushRun()).toContain("GitHub token in `config.js` line 1");
    expect(remoteBranch()).toBe(base);
  });

  it("scans the first 5 MiB of a larger file, and the audit says it was scanned in part", async () => {
    await world();
    const big = Buffer.alloc(6 * 1024 * 1024, 0x61);
    big.write(`\n${TOKEN}\n`, 100);
    write({ "big.bin": big, "ok.txt": "fine\n" });
    commit("big");
    expect(await pushRun()).toContain("GitHub token in `big.bin` line 2");
    expect((await lastScan()).scan).toMatchObject({ scannedInPart: ["big.bin"] });
  });

  it("scans an LFS pointer file like any other", async () => {
    await world();
    const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${"a".repeat(64)}\nsize 12\n# ${TOKEN}\n`;
    write({ ".gitattributes": "*.psd filter=lfs diff=lfs merge=lfs -text\n", "art.psd": pointer });
    commit("lfs");
    expect(await pushRun()).toContain("GitHub token in `art.psd` line 4");
  });

  it("blocks a secret only secretlint's recommended rules know, naming its rule", async () => {
    await world();
    write({ "notify.sh": `#!/bin/sh\nSLACK=${SLACK}\n` });
    commit("notify");
    const refused = await pushRun();
    // The rule id as code: on GitHub, a bare `@secretlint` would mention someone.
    expect(refused).toContain("`@secretlint/secretlint-rule-slack` in `notify.sh` line 2");
    expect(refused).not.toContain(SLACK);
    const { all } = await lastScan();
    expect(all).not.toContain(SLACK);
    expect(all).not.toContain("xoxb-");
  });

  it("finds the run's own token written in base64, through the redactor's locate", async () => {
    await world();
    const held = "s3cr3t-installation-token-value";
    write({ "env.txt": `a\nb\nAUTH=${Buffer.from(held).toString("base64")}\n` });
    commit("env");
    const refused = await pushRun(createRedactor([held]));
    expect(refused).toMatch(/held secret \([^)]+\) in `env.txt` line 3/);
    expect(await pushRun(createRedactor())).toBeNull();
  });

  it("refuses a gitlink the push adds, and says what a maintainer can do", async () => {
    await world();
    git(work, "update-index", "--add", "--cacheinfo", `160000,${base},vendor/lib`);
    git(work, "commit", "--quiet", "-m", "submodule");
    const refused = await pushRun();
    expect(refused).toContain("submodule entry (gitlink) at `vendor/lib`");
    expect(refused).toContain("a maintainer adds it by hand");
    expect(remoteBranch()).toBe(base);
    const { scan } = await lastScan();
    expect(scan).toMatchObject({ result: "blocked", gitlinks: ["vendor/lib"] });
  });

  it("lets a push through that leaves a gitlink of the base as it was, or moves it", async () => {
    await world();
    // The base, again, with a gitlink in it: the branch starts there.
    git(work, "update-index", "--add", "--cacheinfo", `160000,${base},vendor/lib`);
    // An empty folder where the submodule would be checked out, as a clone without it has.
    mkdirSync(join(work, "vendor", "lib"), { recursive: true });
    base = commit("submodule, by a maintainer");
    git(work, "push", "--quiet", "--force", "origin", "HEAD:main", `HEAD:refs/heads/${BRANCH}`);
    await store.runs.update(runId, { baseSha: base });
    write({ "a.txt": "two\n" });
    commit("two");
    expect(await pushRun()).toBeNull();
    expect(remoteBranch()).toBe(git(work, "rev-parse", "HEAD"));
    base = remoteBranch();
    git(work, "update-index", "--cacheinfo", `160000,${base},vendor/lib`);
    commit("move the submodule");
    expect(await pushRun()).toBeNull();
    expect((await lastScan()).scan).toMatchObject({ result: "clean", findings: [] });
  });
});
