// The egress proxy on its own, over its real Unix socket: CONNECT and plain
// HTTP to an allowlisted name reach a registry served on loopback (the one
// address marked reachable); every other way is a 403 that says why, told to
// onBlocked once; closing it ends its tunnels. And the table of refused ranges.
import { mkdtempSync, existsSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { refusedRange } from "../../src/sandbox/egress-addresses.ts";
import { machineNeed } from "../support/machine.ts";
import {
  startEgressProxy,
  type BlockedRequest,
  type EgressProxy,
  type Resolver,
} from "../../src/sandbox/egress-proxy.ts";

let registry: Server;
let port = 0;
let proxy: EgressProxy | undefined;
const folder = mkdtempSync(join(tmpdir(), "stamina-egress-test-"));

beforeAll(async () => {
  registry = createServer((req, res) =>
    res.end(`registry ${req.url ?? ""} ${req.headers.host ?? ""}`),
  );
  await new Promise<void>((done) => registry.listen(0, "127.0.0.1", done));
  const address = registry.address();
  port = typeof address === "object" && address !== null ? address.port : 0;
});
afterAll(() => new Promise((done) => registry.close(done)));
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
});

const table: Record<string, string[]> = {
  "registry.stamina.test": ["127.0.0.1"],
  "a.mirror.stamina.test": ["127.0.0.1"],
  "metadata.stamina.test": ["169.254.169.254"],
  "mixed.stamina.test": ["10.0.0.7", "127.0.0.1"],
  // The first address takes no connection (nothing listens on 127.0.0.2 at the registry's port
  // only when exempted there); the proxy goes on to the next.
  "fallback.stamina.test": ["127.0.0.2", "127.0.0.1"],
  "private.stamina.test": ["192.168.1.1", "fd00::1"],
};
const resolve: Resolver = (host) => {
  const addresses = table[host];
  if (addresses === undefined)
    return Promise.reject(Object.assign(new Error(host), { code: "ENOTFOUND" }));
  return Promise.resolve(
    addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })),
  );
};

async function open(allow: string[], exempt = [`127.0.0.1:${port}`]) {
  const blocked: BlockedRequest[] = [];
  proxy = await startEgressProxy({
    socketPath: join(folder, `${Math.random().toString(36).slice(2)}.sock`),
    allow,
    resolve,
    exempt,
    onBlocked: (b) => blocked.push(b),
  });
  return { proxy, blocked };
}

/** A plain request through the proxy: status and body. */
function get(socketPath: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const host = url.startsWith("http://") ? new URL(url).host : "proxy";
    const req = request({ socketPath, path: url, headers: { host } }, (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => done({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.end();
  });
}

/** CONNECT through the proxy, then one HTTP request in the tunnel when it is open. */
function tunnel(socketPath: string, target: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const req = request({ socketPath, method: "CONNECT", path: target });
    req.on("connect", (res, socket, head) => {
      if (res.statusCode !== 200) {
        // What came with the status line (the refusal's text) is in `head`.
        let body = head.toString();
        socket.on("data", (c: Buffer) => (body += c.toString()));
        socket.on("end", () => done({ status: res.statusCode ?? 0, body }));
        return;
      }
      let text = "";
      socket.on("data", (c: Buffer) => (text += c.toString()));
      socket.on("end", () => done({ status: 200, body: text.split("\r\n\r\n").slice(1).join("") }));
      socket.write(`GET /tarball HTTP/1.1\r\nHost: ${target}\r\nConnection: close\r\n\r\n`);
    });
    req.on("error", fail);
    req.end();
  });
}

describe("the egress proxy", () => {
  it("forwards plain HTTP and tunnels CONNECT to an allowed name, with the Host header as sent", async () => {
    const { proxy, blocked } = await open(["registry.stamina.test"]);
    const plain = await get(proxy.socketPath, `http://registry.stamina.test:${port}/pkg?x=1`);
    expect(plain).toEqual({ status: 200, body: `registry /pkg?x=1 registry.stamina.test:${port}` });
    const tunnelled = await tunnel(proxy.socketPath, `registry.stamina.test:${port}`);
    expect(tunnelled).toEqual({
      status: 200,
      body: `registry /tarball registry.stamina.test:${port}`,
    });
    expect(blocked).toEqual([]);
  });

  it("refuses the same name when its address is not marked reachable: loopback", async () => {
    const { proxy, blocked } = await open(["registry.stamina.test"], []);
    const refused = await tunnel(proxy.socketPath, `registry.stamina.test:${port}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("127.0.0.1, loopback (127.0.0.0/8)");
    expect(refused.body).toContain("No allowlist entry can open it");
    expect(blocked).toMatchObject([{ host: "registry.stamina.test", kind: "refused-address" }]);
  });

  it("refuses a name resolving to the metadata address, and one with only private addresses", async () => {
    const { proxy, blocked } = await open(["metadata.stamina.test", "private.stamina.test"]);
    const metadata = await get(proxy.socketPath, "http://metadata.stamina.test/latest/meta-data/");
    expect(metadata.status).toBe(403);
    expect(metadata.body).toContain("169.254.169.254");
    expect(metadata.body).toContain("cloud metadata");
    const both = await tunnel(proxy.socketPath, "private.stamina.test:443");
    expect(both.status).toBe(403);
    expect(both.body).toContain("192.168.1.1");
    expect(blocked.map((b) => b.kind)).toEqual(["refused-address", "refused-address"]);
  });

  it("dials the first address it may reach and skips the refused ones", async () => {
    const { proxy } = await open(["mixed.stamina.test"]);
    const answered = await get(proxy.socketPath, `http://mixed.stamina.test:${port}/`);
    expect(answered.body).toBe(`registry / mixed.stamina.test:${port}`);
  });

  it("goes on to the next reachable address when one does not connect", async () => {
    const { proxy } = await open(
      ["fallback.stamina.test"],
      [`127.0.0.2:${port}`, `127.0.0.1:${port}`],
    );
    const answered = await tunnel(proxy.socketPath, `fallback.stamina.test:${port}`);
    expect(answered.status).toBe(200);
    expect(answered.body).toBe(`registry /tarball fallback.stamina.test:${port}`);
  });

  it("keeps the port a CONNECT names, the scheme's default included, and says when nothing answers", async () => {
    const { proxy } = await open(["registry.stamina.test"], ["127.0.0.1:80"]);
    const refused = await tunnel(proxy.socketPath, "registry.stamina.test:80");
    // Nothing listens on port 80 here: a 502 naming port 80, not a tunnel to 443.
    expect(refused.status).toBe(502);
    expect(refused.body).toContain("registry.stamina.test:80");
  });

  it("refuses a name not on the allowlist with the key that allows it, once per request", async () => {
    const { proxy, blocked } = await open(["registry.stamina.test"]);
    const refused = await get(proxy.socketPath, "http://other.stamina.test/x");
    expect(refused.status).toBe(403);
    expect(refused.body).toContain("does not include other.stamina.test");
    expect(refused.body).toContain("`network.allow` in .github/stamina.yml");
    expect(blocked).toEqual([
      expect.objectContaining({ host: "other.stamina.test", port: 80, kind: "not-allowed" }),
    ]);
  });

  it("never takes an IP address, even one marked reachable", async () => {
    const { proxy, blocked } = await open(["registry.stamina.test"]);
    for (const target of [`127.0.0.1:${port}`, `[::1]:${port}`]) {
      const refused = await tunnel(proxy.socketPath, target);
      expect(refused.status).toBe(403);
      expect(refused.body).toContain("is an IP address");
    }
    expect(blocked.map((b) => b.kind)).toEqual(["not-allowed", "not-allowed"]);
  });

  it("takes `*.domain` for the names under it, not the domain; case and a trailing dot do not matter", async () => {
    const { proxy } = await open(["*.mirror.stamina.test"]);
    table["mirror.stamina.test"] = ["127.0.0.1"];
    expect((await get(proxy.socketPath, `http://A.Mirror.Stamina.Test.:${port}/`)).status).toBe(
      200,
    );
    expect((await get(proxy.socketPath, `http://mirror.stamina.test:${port}/`)).status).toBe(403);
  });

  it("says a name that does not resolve, and refuses what is not a proxy request", async () => {
    const { proxy, blocked } = await open(["gone.stamina.test"]);
    const gone = await tunnel(proxy.socketPath, "gone.stamina.test:443");
    expect(gone.status).toBe(403);
    expect(gone.body).toContain("could not be resolved (ENOTFOUND)");
    const origin = await get(proxy.socketPath, "/not-absolute");
    expect(origin.status).toBe(400);
    expect(origin.body).toContain("names an absolute http:// URL");
    expect(blocked.map((b) => b.kind)).toEqual(["unresolved", "bad-request"]);
  });

  it("ends its open tunnels and removes its socket when closed, and survives a client that vanishes", async () => {
    const { proxy } = await open(["registry.stamina.test"]);
    const ended = new Promise<void>((done) => {
      const req = request({
        socketPath: proxy.socketPath,
        method: "CONNECT",
        path: `registry.stamina.test:${port}`,
      });
      req.on("connect", (_res, socket) => {
        socket.on("close", () => done());
        socket.on("error", () => undefined);
        void proxy.close();
      });
      req.end();
    });
    await ended;
    expect(existsSync(proxy.socketPath)).toBe(false);
    // A second proxy: a client that disconnects mid-tunnel does not take the process down.
    const again = await open(["registry.stamina.test"]);
    await new Promise<void>((done) => {
      const req = request({
        socketPath: again.proxy.socketPath,
        method: "CONNECT",
        path: `registry.stamina.test:${port}`,
      });
      req.on("connect", (_res, socket) => {
        socket.destroy();
        setTimeout(done, 50);
      });
      req.end();
    });
    expect(
      (await get(again.proxy.socketPath, `http://registry.stamina.test:${port}/`)).status,
    ).toBe(200);
  });
});

describe("the host's own addresses", () => {
  const own = Object.values(networkInterfaces())
    .flat()
    .find((i) => i !== undefined && i.family === "IPv4" && !i.internal)?.address;

  const need = machineNeed(
    own === undefined ? "this host has no IPv4 address of its own besides loopback" : null,
  );

  it.skipIf(need.skip)(need.title("are refused, whatever their range"), async () => {
    need.ensure();
    table["self.stamina.test"] = [own ?? ""];
    const { proxy, blocked } = await open(["self.stamina.test"]);
    const refused = await tunnel(proxy.socketPath, "self.stamina.test:5432");
    expect(refused.status).toBe(403);
    expect(refused.body).toContain(own);
    expect(blocked).toMatchObject([{ kind: "refused-address" }]);
  });
});

describe("refusedRange", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["127.255.0.9", "loopback"],
    ["10.1.2.3", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.0.1", "private"],
    ["169.254.169.254", "metadata"],
    ["100.64.0.1", "carrier-grade NAT"],
    ["0.0.0.0", "this network"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["fd00::1", "unique-local"],
    ["fe80::1%eth0", "link-local"],
    ["ff02::1", "multicast"],
    ["::ffff:127.0.0.1", "IPv4-mapped 127.0.0.1, loopback"],
    ["::ffff:a9fe:a9fe", "IPv4-mapped 169.254.169.254"],
    ["64:ff9b::10.0.0.1", "NAT64 10.0.0.1, a private range"],
    ["2002:c0a8:0101::1", "6to4 192.168.1.1"],
    ["[::1]", "loopback"],
    ["2001:0:4136:e378::1", "Teredo"],
    ["4000::1", "outside IPv6 global unicast"],
    ["::ffff:0a00:0001", "IPv4-mapped 10.0.0.1"],
  ])("refuses %s (%s)", (address, words) => {
    expect(refusedRange(address)).toContain(words);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "172.32.0.1",
    "203.0.113.80",
    "2606:4700::1111",
    "::ffff:8.8.8.8",
    "2002:0808:0808::1",
  ])("lets %s through", (address) => {
    expect(refusedRange(address)).toBeNull();
  });

  it("throws for what is not an address", () => {
    expect(() => refusedRange("registry.stamina.test")).toThrow("is not an IP address");
  });
});
