// What bubblewrap hides: the host's files beyond an explicit list, the
// protected paths wherever they are, shadow files, the network (with or
// without the egress proxy, the host's loopback stays out of reach), the
// harness's .git; and what it shows: the worktree, HOME, TMPDIR, the
// saved outputs, to an unprivileged uid. Where bubblewrap cannot start the
// tests are skipped with the probe's reason in their title, except in CI,
// which installs it (.ci/run): there they run, and fail with that reason.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  commandEnvironment,
  createSandbox,
  probeSandbox,
  type CommandRequest,
  type Sandbox,
} from "../../src/sandbox/sandbox.ts";
import { fixtureGit, removeTempDirs, tempDir } from "../workspace/helpers.ts";

const probe = probeSandbox();
const skip = !probe.ok && process.env.CI !== "true";
const title = (name: string) => (probe.ok ? name : `${name} (skipped: ${probe.reason})`);

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

describe.skipIf(skip)(title("bubblewrap isolation"), () => {
  let sandbox: Sandbox;
  beforeAll(() => {
    // In CI a host where bubblewrap cannot start fails here, with the probe's words.
    sandbox = createSandbox({ kind: "bubblewrap" });
  });

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

    it("is unreachable with network too: the one way out is the egress proxy", async () => {
      const blocked: string[] = [];
      const network = { allow: [], onBlocked: (b: { host: string }) => void blocked.push(b.host) };
      const { req } = request(
        `${probe()}; echo "proxy=$HTTPS_PROXY"; curl -s --max-time 10 http://127.0.0.1:${port}/`,
        { network },
      );
      const result = await sandbox.run(req);
      expect(result.output).not.toContain("connected");
      expect(result.output).toContain("proxy=http://127.0.0.1:3128");
      // The proxy answered (it names the address it refused); nothing reached the service.
      expect(result.output).toContain("127.0.0.1");
      expect(blocked).toEqual(["127.0.0.1"]);
    });
  });
});

describe.skipIf(skip)(title("bubblewrap's least privilege"), () => {
  // Planted where a bound tree would show them: a key in /etc/ssl, a database under /usr/src.
  const stamp = `${process.pid}-${Date.now()}`;
  const keyFile = `/etc/ssl/stamina-test-${stamp}.key`;
  const plainEtc = `/etc/stamina-test-${stamp}.env`;
  const dbDir = `/usr/src/stamina-test-${stamp}`;
  const dbFile = join(dbDir, "stamina.sqlite");
  let data: string;
  let sandbox: Sandbox;

  beforeAll(() => {
    writeFileSync(keyFile, "PRIVATE KEY");
    writeFileSync(plainEtc, "SECRET=1");
    mkdirSync(dbDir);
    writeFileSync(dbFile, "DATABASE");
    // The data folder inside a tree the operator shows read-only: masked, with the runs'
    // folders bound over the mask.
    const parent = tempDir("stamina-parent-");
    data = join(parent, "data");
    mkdirSync(data);
    writeFileSync(join(data, "app.key"), "DATA KEY");
    sandbox = createSandbox({
      kind: "bubblewrap",
      protectedPaths: [keyFile, plainEtc, dbDir, dbFile, data],
      extraReadOnlyPaths: [dbDir, parent],
    });
  });
  afterAll(() => {
    rmSync(keyFile, { force: true });
    rmSync(plainEtc, { force: true });
    rmSync(dbDir, { recursive: true, force: true });
  });

  /** A run's folders inside the data folder, as the app lays them out. */
  function runInData(command: string): { cwd: string; req: CommandRequest } {
    const run = join(data, "runs", `r${Math.floor(Math.random() * 1e9)}`);
    const cwd = join(run, "worktree");
    mkdirSync(cwd, { recursive: true });
    const env = commandEnvironment({ home: join(run, "home"), tmpdir: join(run, "tmp") });
    return {
      cwd,
      req: { command, cwd, timeoutMs: 20_000, network: false, env, outputDir: join(run, "out") },
    };
  }

  it("masks the protected paths, even inside bound trees, and keeps the run's folders usable", async () => {
    const { cwd, req } = runInData(
      `for p in ${keyFile} ${plainEtc} ${dbFile} ${dbDir}/x ${data}/app.key /etc/shadow /etc/gshadow; do cat "$p" 2>/dev/null || echo "unreadable $p"; done; ls -A ${dbDir} | wc -l; ls ${data}; echo w > file && echo h > "$HOME/h" && echo t > "$TMPDIR/t" && echo wrote`,
    );
    const result = await sandbox.run(req);
    expect(result.output).toBe(
      [
        ...[
          keyFile,
          plainEtc,
          dbFile,
          `${dbDir}/x`,
          `${data}/app.key`,
          "/etc/shadow",
          "/etc/gshadow",
        ].map((p) => `unreadable ${p}`),
        "0",
        "runs",
        "wrote",
        "",
      ].join("\n"),
    );
    // Files the commands write belong to the harness's own uid outside (the user namespace's mapping).
    expect(statSync(join(cwd, "file")).uid).toBe(process.getuid?.());
    expect(readFileSync(join(cwd, "file"), "utf8")).toBe("w\n");
  });

  it("runs commands as the unprivileged stamina user, with a passwd of three users", async () => {
    const { req } = runInData(
      "id -u; id -g; id -un; cut -d: -f1,3 /etc/passwd; cat /etc/group | wc -l",
    );
    const result = await sandbox.run(req);
    expect(result.output).toBe("1000\n1000\nstamina\nroot:0\nstamina:1000\nnobody:65534\n3\n");
  });

  it("shows only the listed parts of /etc, and no private TLS keys", async () => {
    const { req } = runInData(
      "ls /etc | sort | tr '\\n' ' '; echo; ls /etc/ssl/private 2>&1 | wc -l; test -e /etc/ssl/certs && echo certs",
    );
    const result = await sandbox.run(req);
    const [listing = ""] = result.output.split("\n");
    for (const hidden of ["shadow", "gshadow", "sudoers", "gitconfig", "machine-id", "ssh"]) {
      expect(listing.split(" ")).not.toContain(hidden);
    }
    expect(listing.split(" ")).toEqual(expect.arrayContaining(["passwd", "group", "ssl"]));
    expect(result.output).toMatch(/\n0\ncerts\n$/);
  });
});
