// The package registries this machine's package managers use, for the egress allowlist: read
// from each tool's own configuration and from the variables that set it, with programs and
// environment injected; then once for real on this machine.
import { execFileSync } from "node:child_process";
import { isIP } from "node:net";
import { describe, expect, it } from "vitest";
import { registryHosts } from "../../src/sandbox/registry-hosts.ts";

const LABEL = "[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?";
const HOST_NAME = new RegExp(`^${LABEL}(\\.${LABEL})*$`);

type Answers = Record<string, string>;

/** A machine whose programs answer these command lines ("npm config get registry": output); any other fails, as a missing program does. */
function machine(answers: Answers) {
  const calls: string[] = [];
  const run = (file: string, args: string[]) => {
    const line = [file, ...args].join(" ");
    calls.push(line);
    return answers[line] ?? null;
  };
  return { run, calls };
}

const PIP_DEFAULTS =
  "python3 -c from pip._internal.models.index import PyPI; print(PyPI.simple_url); print(PyPI.file_storage_domain)";

describe("registryHosts", () => {
  it("reads npm's registry and its scoped registries", () => {
    const { run } = machine({
      "npm config get registry": "https://npm.mirror.example.com/\n",
      "npm config list --json": JSON.stringify({
        registry: "https://npm.mirror.example.com/",
        "@acme:registry": "https://Npm.Acme.example.org/repository/npm/",
        "@other:registry": "https://npm.mirror.example.com/other/",
        "//npm.acme.example.org/:_authToken": "secret",
        cache: "/root/.npm",
      }),
    });
    expect(registryHosts({ env: {}, run })).toEqual([
      { host: "npm.acme.example.org", source: "npm config @acme:registry" },
      { host: "npm.mirror.example.com", source: "npm config registry" },
    ]);
  });

  it("reads the variables that set a registry, first source kept, sorted by host", () => {
    const { run } = machine({ "npm config get registry": "https://npm.example.com/\n" });
    expect(
      registryHosts({
        env: {
          npm_config_registry: "https://npm.example.com/",
          YARN_NPM_REGISTRY_SERVER: "https://yarn.example.com",
          PIP_INDEX_URL: "https://pypi.example.com/simple",
          PIP_EXTRA_INDEX_URL: "https://extra-a.example.com/simple https://extra-b.example.com/",
        },
        run,
      }),
    ).toEqual([
      { host: "extra-a.example.com", source: "pip extra-index-url (PIP_EXTRA_INDEX_URL)" },
      { host: "extra-b.example.com", source: "pip extra-index-url (PIP_EXTRA_INDEX_URL)" },
      { host: "npm.example.com", source: "npm registry (npm_config_registry)" },
      { host: "pypi.example.com", source: "pip index-url (PIP_INDEX_URL)" },
      { host: "yarn.example.com", source: "yarn npmRegistryServer (YARN_NPM_REGISTRY_SERVER)" },
    ]);
  });

  it("asks yarn only where it is installed: npmRegistryServer, or yarn 1's registry", () => {
    const berry = machine({ "yarn config get npmRegistryServer": "https://yarn.example.com\n" });
    expect(registryHosts({ env: {}, run: berry.run })).toEqual([
      { host: "yarn.example.com", source: "yarn config npmRegistryServer" },
    ]);
    const classic = machine({
      "yarn config get npmRegistryServer": "undefined\n",
      "yarn config get registry": "https://yarn1.example.com\n",
    });
    expect(registryHosts({ env: {}, run: classic.run })).toEqual([
      { host: "yarn1.example.com", source: "yarn config registry" },
    ]);
    const none = machine({});
    registryHosts({ env: {}, run: none.run });
    expect(none.calls).not.toContain("yarn config get registry");
  });

  it("reads pip's configured indexes, and then asks for no default", () => {
    const { run, calls } = machine({
      "pip3 config list": [
        "global.cert='/etc/ssl/certs/ca-certificates.crt'",
        "global.index-url='https://pypi.mirror.example.com/simple'",
        "global.extra-index-url='https://a.example.com/simple https://b.example.com/simple\\nfile:///opt/wheels/simple'",
        'install.extra-index-url="https://c.example.com/simple"',
        "",
      ].join("\n"),
    });
    expect(registryHosts({ env: {}, run })).toEqual([
      { host: "a.example.com", source: "pip config global.extra-index-url" },
      { host: "b.example.com", source: "pip config global.extra-index-url" },
      { host: "c.example.com", source: "pip config install.extra-index-url" },
      { host: "pypi.mirror.example.com", source: "pip config global.index-url" },
    ]);
    expect(calls).not.toContain(PIP_DEFAULTS);
  });

  it("takes pip's own default index and file host when pip has no index configured", () => {
    const answers = {
      "pip3 config list": "global.extra-index-url='file:///opt/pypi/simple'\n",
      [PIP_DEFAULTS]: "https://index.example.com/simple\nfiles.example.net\n",
    };
    const expected = [
      { host: "files.example.net", source: "pip's default file host" },
      { host: "index.example.com", source: "pip's default index" },
    ];
    expect(registryHosts({ env: {}, run: machine(answers).run })).toEqual(expected);
    // pip3 missing, `python3 -m pip` there: pip is installed all the same.
    const moduleOnly = machine({
      "python3 -m pip config list": "",
      [PIP_DEFAULTS]: answers[PIP_DEFAULTS],
    });
    expect(registryHosts({ env: {}, run: moduleOnly.run })).toEqual(expected);
    // An index set in the environment, or no index at all: no default.
    expect(registryHosts({ env: { PIP_NO_INDEX: "1" }, run: machine(answers).run })).toEqual([]);
    expect(
      registryHosts({
        env: { PIP_INDEX_URL: "https://pypi.example.org/simple" },
        run: machine(answers).run,
      }),
    ).toEqual([{ host: "pypi.example.org", source: "pip index-url (PIP_INDEX_URL)" }]);
    // No pip: not asked for its defaults.
    const noPip = machine({ [PIP_DEFAULTS]: answers[PIP_DEFAULTS] });
    expect(registryHosts({ env: {}, run: noPip.run })).toEqual([]);
    expect(noPip.calls).not.toContain(PIP_DEFAULTS);
  });

  it("adds nothing when every tool is missing or fails, or answers nonsense", () => {
    expect(registryHosts({ env: {}, run: () => null })).toEqual([]);
    const throws = () => {
      throw new Error("spawnSync npm ETIMEDOUT");
    };
    expect(registryHosts({ env: {}, run: throws })).toEqual([]);
    expect(registryHosts({ env: {}, run: () => "not a url {\n" })).toEqual([]);
  });

  it("drops addresses and localhost", () => {
    const { run } = machine({
      "npm config get registry": "http://127.0.0.1:4873/\n",
      "npm config list --json": JSON.stringify({
        "@a:registry": "http://localhost:4873/",
        "@b:registry": "http://[::1]:4873/",
        "@c:registry": "http://verdaccio.localhost/",
        "@d:registry": "http://2130706433/",
        "@e:registry": "https://npm.example.com/",
      }),
      "pip3 config list": "global.index-url='http://10.0.0.5:3141/root/pypi/+simple/'\n",
    });
    expect(registryHosts({ env: { PIP_EXTRA_INDEX_URL: "http://[fd00::5]/simple" }, run })).toEqual(
      [{ host: "npm.example.com", source: "npm config @e:registry" }],
    );
  });
});

describe("registryHosts on this machine", () => {
  it("returns host names, and npm's registry where npm is installed", () => {
    const hosts = registryHosts();
    for (const { host, source } of hosts) {
      expect(source).not.toBe("");
      // Trusted configuration need not pass the allowlist's rules (a mirror may have a local
      // name), but it is a host name: lowercase labels, no scheme, port, path or address.
      expect(host).toMatch(HOST_NAME);
      expect(host.length).toBeLessThanOrEqual(253);
      expect(isIP(host), host).toBe(0);
      expect(host).not.toMatch(/(^|\.)localhost$/);
    }
    expect(new Set(hosts.map((h) => h.host)).size).toBe(hosts.length);
    expect(hosts.map((h) => h.host)).toEqual(hosts.map((h) => h.host).sort());

    let npmRegistry: string | null;
    try {
      npmRegistry = execFileSync("npm", ["config", "get", "registry"], {
        encoding: "utf8",
        cwd: "/",
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 10_000,
      }).trim();
    } catch {
      npmRegistry = null; // no npm here
    }
    if (npmRegistry !== null) {
      const host = new URL(npmRegistry).hostname;
      expect(hosts.map((h) => h.host)).toContain(host);
    }
  });
});
