// The sandbox's one way out, through real runs (real bubblewrap, socat and
// the egress proxy; the fake GitHub, the scripted model): from setup, and from
// the agent's commands where the config asks, an allowlisted name answers;
// the same name resolving to loopback, a name resolving to the metadata
// address, a private address, the host's loopback services, raw TCP and a
// direct DNS query reach nothing; each blocked host is on the pull request
// with the config line that allows it. Setup on resume runs on the pushed
// files, before the checkpoint's diff. The proxy's resolver is injected: test
// names map to a registry this test serves on loopback, the one address
// marked allowed.
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ShutdownRequested } from "../../src/runs/interruptions.ts";
import type { Resolver } from "../../src/sandbox/sandbox.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { byStep, OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";
import { corpusRunner, eventData, toolResults } from "./corpus.ts";

const REGISTRY_ANSWER = "the test registry answers";

let h: Harness;
let registry: Server;
let service: TcpServer;
let registryPort: number;
let servicePort: number;
/** Connections the host's own service got from anything: none may come from a command. */
let serviceConnections = 0;
let hostAddress: string | undefined;
let hostileRun: ReturnType<typeof corpusRunner>;

const resolve: Resolver = (host) => {
  const table: Record<string, string> = {
    "registry.stamina.test": "127.0.0.1",
    "loopback.stamina.test": "127.0.0.1",
    "metadata.stamina.test": "169.254.169.254",
    "private.stamina.test": "10.20.30.40",
  };
  const address = table[host];
  if (address === undefined) {
    return Promise.reject(Object.assign(new Error(`no such host ${host}`), { code: "ENOTFOUND" }));
  }
  return Promise.resolve([{ address, family: 4 }]);
};

const ALLOW = [
  "registry.stamina.test",
  "loopback.stamina.test",
  "metadata.stamina.test",
  "private.stamina.test",
];

function listenPort(server: Server | TcpServer, host: string): Promise<number> {
  return new Promise((done) =>
    server.listen(0, host, () => {
      const address = server.address();
      done(typeof address === "object" && address !== null ? address.port : 0);
    }),
  );
}

beforeAll(async () => {
  registry = createHttpServer((req, res) => {
    res.end(`${REGISTRY_ANSWER} ${req.url ?? ""} host=${req.headers.host ?? ""}`);
  });
  registryPort = await listenPort(registry, "127.0.0.1");
  // A service of the host's (a database, the webhook server): on every address of the host.
  service = createTcpServer((socket) => {
    serviceConnections += 1;
    socket.end("HOST SERVICE\n");
  });
  servicePort = await listenPort(service, "0.0.0.0");
  hostAddress = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;
  h = await startHarness(
    { "a.txt": "one\n", "package.json": '{ "name": "demo", "version": "1.0.0" }\n' },
    {
      sandbox: "bubblewrap",
      egress: { resolve, exempt: [`127.0.0.1:${registryPort}`] },
    },
  );
  hostileRun = corpusRunner(h);
});
afterAll(async () => {
  await h.close();
  await new Promise((done) => registry.close(done));
  await new Promise((done) => service.close(done));
});

/** One line per way out, `name=result`, whatever each does; exits 0 so setup goes on. */
function probes(): string {
  // A refused CONNECT is in curl's http_connect, a refused plain request in its http_code.
  const code = (url: string, tunnel = false) =>
    `curl -s ${tunnel ? "--proxytunnel" : ""} -o /dev/null -w '${tunnel ? "%{http_connect}" : "%{http_code}"}' --max-time 10 ${url}`;
  const tcp = (address: string) =>
    `timeout 5 bash -c ': </dev/tcp/${address}/${servicePort}' 2>/dev/null && echo open || echo closed`;
  const dnsRaw =
    "const r = new (require('dns').promises.Resolver)({ timeout: 2000, tries: 1 }); r.resolve4('example.com').then(() => console.log('answered'), (e) => console.log(e.code))";
  const probes: [string, string][] = [
    ["plain", `curl -sS --max-time 10 http://registry.stamina.test:${registryPort}/pkg`],
    [
      "tunnel",
      `curl -sS --max-time 10 --proxytunnel http://registry.stamina.test:${registryPort}/tarball`,
    ],
    ["loopback", code(`http://loopback.stamina.test:${servicePort}/`)],
    ["loopback_tunnel", code(`http://loopback.stamina.test:${servicePort}/`, true)],
    ["metadata", code("http://metadata.stamina.test/latest/meta-data/")],
    ["private", code(`http://private.stamina.test:${servicePort}/`, true)],
    ["literal", code(`http://127.0.0.1:${servicePort}/`)],
    ["other", "curl -s --max-time 10 http://other.stamina.test/"],
    [
      "direct",
      `curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 10 http://registry.stamina.test:${registryPort}/pkg`,
    ],
    ["raw_loopback", tcp("127.0.0.1")],
    ...(hostAddress ? [["raw_private", tcp(hostAddress)] as [string, string]] : []),
    ["dns", "getent hosts example.com >/dev/null 2>&1 && echo answered || echo none"],
    ["dns_raw", `node -e "${dnsRaw}"`],
  ];
  return probes.map(([name, command]) => `printf '%s=%s\\n' ${name} "$(${command})"`).join("\n");
}

/** The probes' lines as a record. */
function results(output: string): Record<string, string> {
  return Object.fromEntries(
    output
      .split("\n")
      .map((line) => /^(\w+)=(.*)$/.exec(line))
      .filter((m) => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}

function expectOnlyTheRegistry(seen: Record<string, string>): void {
  expect(seen.plain).toContain(
    `${REGISTRY_ANSWER} /pkg host=registry.stamina.test:${registryPort}`,
  );
  expect(seen.tunnel).toContain(`${REGISTRY_ANSWER} /tarball`);
  // Allowlisted names, but resolving to loopback, the metadata address, a private range.
  for (const name of ["loopback", "loopback_tunnel", "metadata", "private", "literal"]) {
    expect(seen[name], name).toBe("403");
  }
  expect(seen.other).toContain("other.stamina.test");
  expect(seen.other).toContain("network.allow");
  // What ignores the proxy: no route, no resolver.
  expect(seen.direct).toBe("000");
  expect(seen.raw_loopback).toBe("closed");
  if (hostAddress) expect(seen.raw_private).toBe("closed");
  expect(seen.dns).toBe("none");
  expect(seen.dns_raw).not.toBe("answered");
  expect(seen.dns_raw).not.toBe("");
  expect(serviceConnections).toBe(0);
}

describe("setup's network", () => {
  it("reaches the allowlisted registry and nothing else, and the pull request names each blocked host with its config key", async () => {
    const { run, events, comment } = await hostileRun([], {
      setup: probes(),
      network: { allow: ALLOW },
    });
    const setup = eventData(events, "command").find((d) => d.purpose === "setup");
    expect(run.state, JSON.stringify([run.outcome, setup])).toBe("succeeded");
    expectOnlyTheRegistry(results(String(setup?.output)));

    const blocked = eventData(events, "network.blocked");
    const other = blocked.find((d) => d.host === "other.stamina.test");
    expect(other).toMatchObject({ kind: "not-allowed", purpose: "setup", count: 1 });
    expect(String(other?.command)).toContain("curl");
    expect(blocked.find((d) => d.host === "metadata.stamina.test")).toMatchObject({
      kind: "refused-address",
    });
    const [pull] = h.github.pulls(OWNER, REPO).filter((p) => p.head === run.branch);
    for (const text of [pull?.body ?? "", comment]) {
      expect(text).toContain(
        "To allow it, add `other.stamina.test` to `network.allow` in `.github/stamina.yml`.",
      );
      expect(text).toContain("`metadata.stamina.test`");
      expect(text).toContain("169.254.169.254");
    }
  });
});

describe("the agent's network", () => {
  it("is none unless the repository config asks", async () => {
    const { run, events } = await hostileRun([probes()], { network: { allow: ALLOW } });
    expect(run.state).toBe("succeeded");
    const seen = results(toolResults(events, "bash")[0] ?? "");
    expect(seen.plain).toBe("");
    expect(seen.other).toBe("");
    expect(seen.raw_loopback).toBe("closed");
    expect(seen.dns).toBe("none");
    expect(eventData(events, "network.blocked")).toEqual([]);
  });

  it("with `network.agent: true`, is setup's: the allowlisted registry and nothing else", async () => {
    const { run, events } = await hostileRun([probes()], {
      network: { allow: ALLOW, agent: true },
    });
    expect(run.state).toBe("succeeded");
    expectOnlyTheRegistry(results(toolResults(events, "bash")[0] ?? ""));
    const other = eventData(events, "network.blocked").find((d) => d.host === "other.stamina.test");
    expect(other).toMatchObject({ purpose: "agent", kind: "not-allowed" });
    const [pull] = h.github.pulls(OWNER, REPO).filter((p) => p.head === run.branch);
    expect(pull?.body).toContain("first from the agent's command");
    expect(pull?.body).toContain("add `other.stamina.test` to `network.allow`");
  });
});

describe("setup on resume", () => {
  it("runs on the pushed files before the checkpoint's diff: the agent's package.json never reaches setup's network", async () => {
    const hostile =
      '{ "name": "demo", "scripts": { "postinstall": "curl http://other.stamina.test/" } }\n';
    const drain = new AbortController();
    const steps = [
      reply(
        toolUse("str_replace_based_edit_tool", {
          command: "create",
          path: "package.json",
          file_text: hostile,
        }),
      ),
      () => (drain.abort(new ShutdownRequested()), reply(editFile("a.txt", "one", "two"))),
      reply(text("Changed a.txt and package.json.")),
      reply(text("Both changed.")),
    ];
    await h.model(byStep(steps));
    // Setup reads package.json and leaves a file of its own, each attempt.
    await h.queue({ setup: "cat package.json && echo ran >> setup.log" }, 50);
    const first = await h.execute(await h.claim("worker-1"), { drain: drain.signal });
    expect(first).toMatchObject({ state: "queued", stepsUsed: 2 });

    const resumed = await h.execute(await h.claim("worker-2"));
    expect(resumed.state).toBe("succeeded");
    const events = await h.store.audit.events(resumed.id);
    const setups = eventData(events, "command").filter((d) => d.purpose === "setup");
    expect(setups).toHaveLength(2);
    for (const setup of setups) {
      expect(setup.output).toContain('"version": "1.0.0"');
      expect(setup.output).not.toContain("postinstall");
    }
    const types = events.map((e) => e.type);
    const resumedAt = types.lastIndexOf("run.resumed");
    const setupAt = events.findLastIndex((e) => e.type === "command" && e.data.purpose === "setup");
    const restoredAt = types.lastIndexOf("workspace.restored");
    expect(resumedAt).toBeLessThan(setupAt);
    expect(setupAt).toBeLessThan(restoredAt);
    // The second setup's own file was put back as the checkpoint had it.
    expect(eventData(events, "workspace.restored")[0]?.resetBySetup).toEqual(["setup.log"]);
    // The work is whole: the agent's package.json, a.txt, setup's first file.
    expect(h.show(`${resumed.branch}:package.json`)).toBe(hostile);
    expect(h.show(`${resumed.branch}:a.txt`)).toBe("two\n");
    expect(h.show(`${resumed.branch}:setup.log`)).toBe("ran\n");
  });
});
