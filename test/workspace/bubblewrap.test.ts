// What bubblewrap hides: the host's files, the network unless asked for, the
// harness's .git; and what it shows: the worktree, HOME, TMPDIR, the saved
// outputs. Skipped (with a warning) where bubblewrap cannot start, except in
// CI, which installs it (.ci/run): there a sandbox that cannot start fails.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  commandEnvironment,
  createSandbox,
  type CommandRequest,
} from "../../src/workspace/sandbox.ts";
import { fixtureGit, removeTempDirs, tempDir } from "./helpers.ts";

const sandbox = createSandbox({ kind: "auto" });
const usable = sandbox.kind === "bubblewrap";
if (!usable) console.warn("bubblewrap cannot start here: its isolation tests are skipped");

describe.runIf(process.env.CI === "true")("bubblewrap in CI", () => {
  it("starts, so its isolation tests below run rather than vanish", () => {
    expect(sandbox.kind).toBe("bubblewrap");
  });
});

afterAll(removeTempDirs);

function request(command: string, extra: Partial<CommandRequest> = {}) {
  const run = tempDir("stamina-run-");
  const cwd = join(run, "worktree");
  mkdirSync(cwd);
  const req: CommandRequest = {
    command,
    cwd,
    timeoutMs: 20_000,
    network: false,
    env: commandEnvironment({ home: join(run, "home"), tmpdir: join(run, "tmp") }),
    outputDir: join(run, "outputs"),
    ...extra,
  };
  return { run, cwd, req };
}

describe.runIf(usable)("bubblewrap isolation", () => {
  it("lets the command write its worktree, HOME and TMPDIR", async () => {
    const { cwd, req } = request('touch file && touch "$HOME/h" && touch "$TMPDIR/t" && echo ok');
    const result = await sandbox.run(req);
    expect(result.output).toBe("ok\n");
    expect(existsSync(join(cwd, "file"))).toBe(true);
  });

  it("refuses writes outside the worktree and to the system", async () => {
    const { run, req } = request("");
    // The worktree's parent exists only as a mount point in the private /tmp: a write there
    // stays in the sandbox. Everywhere else outside /tmp, writes fail.
    req.command = `touch ${run}/outside; for p in /usr/x /etc/x /x; do touch $p 2>/dev/null; echo "$p rc=$?"; done`;
    const result = await sandbox.run(req);
    expect(result.output).toBe("/usr/x rc=1\n/etc/x rc=1\n/x rc=1\n");
    expect(existsSync(join(run, "outside"))).toBe(false);
  });

  it("shows nothing of the host beyond the system", async () => {
    const project = process.cwd();
    const { req } = request(
      `for p in /root /home ${project} ${project}/package.json /work /run /var; do test -e "$p" && echo "visible $p"; done; cat /etc/shadow 2>/dev/null | wc -c; echo done`,
    );
    const result = await sandbox.run(req);
    expect(result.output).toBe("0\ndone\n");
  });

  it("keeps /tmp private", async () => {
    const secret = tempDir("stamina-host-");
    writeFileSync(join(secret, "key.pem"), "PRIVATE");
    const { req } = request(`cat ${secret}/key.pem; ls /tmp`);
    const result = await sandbox.run(req);
    expect(result.output).not.toContain("PRIVATE");
    expect(result.output).toMatch(/No such file or directory/);
  });

  it("makes extra writable paths writable", async () => {
    const extra = tempDir("stamina-cache-");
    const withCache = createSandbox({ kind: "bubblewrap", writablePaths: [extra] });
    const { req } = request(`touch ${extra}/c && echo ok`);
    expect((await withCache.run(req)).output).toBe("ok\n");
    expect(existsSync(join(extra, "c"))).toBe(true);
  });

  it("lets commands read the repository but not change its .git", async () => {
    const { cwd, req } = request(
      'git log --format=%s; echo "[core]" >> .git/config; echo "rc=$?"; echo new > tracked; git status --short',
    );
    fixtureGit(cwd, "init", "--quiet");
    writeFileSync(join(cwd, "tracked"), "old\n");
    fixtureGit(cwd, "add", "tracked");
    fixtureGit(cwd, "commit", "--quiet", "-m", "first");
    const result = await sandbox.run(req);
    expect(result.output).toMatch(/^first\n.*Read-only file system\nrc=1\n M tracked\n$/s);
  });

  it("lets commands read the full output of a truncated command", async () => {
    const { req } = request("seq 1 100000");
    const first = await sandbox.run(req);
    expect(first.fullOutputPath).not.toBeNull();
    const second = await sandbox.run({
      ...req,
      command: `tail -n 1 ${first.fullOutputPath}; echo x >> ${first.fullOutputPath}`,
    });
    expect(second.output).toMatch(/^100000\n.*Read-only file system/s);
  });

  describe("network", () => {
    let server: Server;
    let port = 0;
    beforeAll(async () => {
      server = createServer((socket) => {
        // The probe closes without reading: a reset is expected, not a failure.
        socket.on("error", () => socket.destroy());
        socket.end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const address = server.address();
      port = typeof address === "object" && address !== null ? address.port : 0;
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });
    const probe = () => `exec 3<>/dev/tcp/127.0.0.1/${port} && echo connected`;

    it("is unreachable without network", async () => {
      const { req } = request(probe());
      const result = await sandbox.run(req);
      expect(result.output).not.toContain("connected");
      expect(result.exitCode).not.toBe(0);
    });

    it("is reachable with network", async () => {
      const { req } = request(probe(), { network: true });
      const result = await sandbox.run(req);
      expect(result.output).toBe("connected\n");
    });
  });
});
