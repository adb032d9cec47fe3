// The real-repository case through the egress proxy: setup installs a package
// from the npm registry this machine is configured with (its host on the
// allowlist by default, as a worker reads it at start), and the suite Stamina
// runs to verify the work finds it. Needs the registry, which CI reaches.
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registryHosts } from "../../src/sandbox/registry-hosts.ts";
import { startHarness, type Harness } from "../support/run-harness.ts";
import { corpusRunner, eventData } from "./corpus.ts";

let h: Harness;
let registry: string;

beforeAll(async () => {
  const hosts = registryHosts();
  // The host npm itself names: what the worker's allowlist starts from.
  registry = new URL(
    execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8", cwd: "/" }).trim(),
  ).hostname;
  expect(hosts.map((r) => r.host)).toContain(registry);
  h = await startHarness(
    {
      "a.txt": "one\n",
      "package.json": `${JSON.stringify({ name: "demo", version: "1.0.0", dependencies: { "is-number": "7.0.0" } }, null, 2)}\n`,
      "check.js":
        "const isNumber = require('is-number');\nif (!isNumber(5) || isNumber('x')) process.exit(1);\nconsole.log('is-number works');\n",
    },
    { sandbox: "bubblewrap", egress: { allow: hosts.map((r) => r.host) } },
  );
});
afterAll(() => h.close());

describe("a repository whose setup installs from the registry", () => {
  it("installs through the proxy, and the suite runs on what it installed", async () => {
    const { run, events } = await corpusRunner(h)([], {
      setup: "npm install --no-audit --no-fund --no-package-lock",
      test: "node check.js",
    });
    const setup = eventData(events, "command").find((d) => d.purpose === "setup");
    expect(setup?.exitCode, String(setup?.output)).toBe(0);
    expect(run.state).toBe("succeeded");
    const verified = eventData(events, "command").filter((d) => d.purpose === "verify");
    expect(verified.at(-1)).toMatchObject({ exitCode: 0 });
    expect(String(verified.at(-1)?.output)).toContain("is-number works");
    expect(eventData(events, "network.blocked").map((d) => d.host)).not.toContain(registry);
  });
});
