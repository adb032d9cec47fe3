// The host half of the sandbox's one way out: an HTTP proxy on a Unix socket,
// one per command with network (egress-bridge.ts carries the command's
// connections here). It lets through CONNECT and plain HTTP to allowlisted
// host names only, resolves each name itself, and connects to the very address
// it checked (no second lookup for a rebinding name to change), refusing the
// ranges in egress-addresses.ts and the host's own addresses even for an
// allowed name. A refused request gets a 403 whose text says why and what
// would allow it, and is told to `onBlocked`.
import { lookup } from "node:dns/promises";
import { chmod, rm } from "node:fs/promises";
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import { connect, isIP, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { refusedRange } from "./egress-addresses.ts";

interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

export interface BlockedRequest {
  /** The name asked for, lowercased (or the address, when an address was asked for). */
  host: string;
  port: number;
  /** Why, in words for the 403, the audit log and the pull request. */
  reason: string;
  kind: "not-allowed" | "refused-address" | "unresolved" | "bad-request";
}

export interface EgressProxyOptions {
  /** The Unix socket to listen on; its folder is the caller's. */
  socketPath: string;
  /** Names ("pkgs.example.com") or domains ("*.example.com": any name under it, not itself). */
  allow: readonly string[];
  /** The system's resolver unless given (tests map their names to loopback). */
  resolve?: Resolver;
  /** "address:port" reachable although its range is refused: tests' loopback registry only. */
  exempt?: readonly string[];
  onBlocked: (blocked: BlockedRequest) => void;
}

export interface EgressProxy {
  readonly socketPath: string;
  close(): Promise<void>;
}

const systemResolver: Resolver = async (host) =>
  (await lookup(host, { all: true, verbatim: true })).map((a) => ({
    address: a.address,
    family: a.family === 6 ? 6 : 4,
  }));

/** Headers of one hop, not forwarded (RFC 9110 §7.6.1), and the proxy's own. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

type Decision = { address: string } | { blocked: BlockedRequest };

export async function startEgressProxy(opts: EgressProxyOptions): Promise<EgressProxy> {
  const decide = decider(opts);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // A peer that goes away mid-tunnel is not the harness's problem.
    socket.on("error", () => socket.destroy());
  };

  const server = createServer((req, res) => void forward(req, res));
  server.on("connection", track);
  server.on("clientError", (_error, socket) => socket.destroy());

  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? "");
    } catch {
      url = new URL("invalid:");
    }
    if (url.protocol !== "http:") {
      const reason = `${req.method ?? "?"} ${req.url ?? ""}: a proxy request names an absolute http:// URL (HTTPS goes through CONNECT)`;
      const blocked: BlockedRequest = { host: url.hostname, port: 0, kind: "bad-request", reason };
      opts.onBlocked(blocked);
      return answer(res, 400, blockedText(blocked));
    }
    const port = Number(url.port || 80);
    const decided = await decide(url.hostname, port);
    if ("blocked" in decided) return answer(res, 403, blockedText(decided.blocked));
    const upstream = httpRequest(
      {
        host: decided.address,
        port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers: withoutHopByHop(req.headers),
        setHost: false,
      },
      (response) => {
        res.writeHead(response.statusCode ?? 502, withoutHopByHop(response.headers));
        response.pipe(res);
        response.on("error", () => res.destroy());
      },
    );
    upstream.on("socket", track);
    upstream.on("error", (error) => {
      if (res.headersSent) res.destroy();
      else answer(res, 502, `Stamina's egress proxy could not reach ${url.host}: ${error.message}`);
    });
    req.pipe(upstream);
  };

  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    void (async () => {
      let url: URL | null = null;
      try {
        url = new URL(`http://${req.url ?? ""}`);
      } catch {
        url = null;
      }
      if (url === null || url.hostname === "") {
        const reason = `CONNECT ${req.url ?? ""}: not a host:port`;
        const blocked: BlockedRequest = { host: "", port: 0, kind: "bad-request", reason };
        opts.onBlocked(blocked);
        return reply(client, 400, blockedText(blocked));
      }
      const port = Number(url.port || 443);
      const decided = await decide(url.hostname, port);
      if (client.destroyed) return;
      if ("blocked" in decided) return reply(client, 403, blockedText(decided.blocked));
      const upstream = connect({ host: decided.address, port });
      track(upstream);
      let connected = false;
      upstream.once("connect", () => {
        connected = true;
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.once("error", (error) => {
        if (!connected && !client.destroyed) {
          reply(
            client,
            502,
            `Stamina's egress proxy could not reach ${url.host}: ${error.message}`,
          );
        } else client.destroy();
      });
      upstream.once("close", () => client.destroy());
      client.once("close", () => upstream.destroy());
    })();
  });

  await rm(opts.socketPath, { force: true });
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(opts.socketPath, () => {
      server.off("error", fail);
      done();
    });
  });
  await chmod(opts.socketPath, 0o600);

  let closed: Promise<void> | null = null;
  return {
    socketPath: opts.socketPath,
    close: () =>
      (closed ??= (async () => {
        const stopped = new Promise<void>((done) => server.close(() => done()));
        for (const socket of sockets) socket.destroy();
        await stopped;
        await rm(opts.socketPath, { force: true });
      })()),
  };
}

/** Whether a request for `host:port` goes out, and to which address; a refusal is told to onBlocked. */
function decider(opts: EgressProxyOptions): (asked: string, port: number) => Promise<Decision> {
  const resolve = opts.resolve ?? systemResolver;
  const exempt = new Set(opts.exempt ?? []);
  const allow = opts.allow.map(normalise);
  const own = hostAddresses();
  return async (asked, port) => {
    const host = normalise(asked);
    const refuse = (kind: BlockedRequest["kind"], reason: string) => {
      const blocked = { host, port, kind, reason };
      opts.onBlocked(blocked);
      return { blocked };
    };
    if (isIP(host.replace(/^\[(.*)\]$/, "$1")) !== 0) {
      return refuse(
        "not-allowed",
        `${host} is an IP address; the proxy lets through host names on the allowlist, never addresses`,
      );
    }
    if (!allowed(allow, host)) {
      return refuse("not-allowed", `${host} is not on the network allowlist`);
    }
    let addresses: ResolvedAddress[];
    try {
      addresses = await resolve(host);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      return refuse("unresolved", `${host} could not be resolved (${code})`);
    }
    let first: string | null = null;
    for (const { address } of addresses) {
      const why = refusedRange(address) ?? (own.has(address) ? "an address of this host" : null);
      const key = address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
      if (why === null || exempt.has(key)) return { address };
      first ??= `${address}, ${why}`;
    }
    return refuse(
      first === null ? "unresolved" : "refused-address",
      first === null
        ? `${host} resolves to no address`
        : `${host} resolves to ${first}, which commands may never reach, even for an allowed name`,
    );
  };
}

/** The 403's text: what was refused, and what (if anything) would let it through. */
function blockedText(blocked: BlockedRequest): string {
  switch (blocked.kind) {
    case "not-allowed":
      return isIP(blocked.host.replace(/^\[(.*)\]$/, "$1")) !== 0
        ? `Stamina's egress proxy blocked this request: ${blocked.reason}. Name the host instead, and add the name to \`network.allow\` in .github/stamina.yml.\n`
        : `Stamina's network allowlist does not include ${blocked.host}, so this request was blocked. To allow it, add it to \`network.allow\` in .github/stamina.yml (or, for every repository, to the operator's STAMINA_NETWORK_ALLOW).\n`;
    case "refused-address":
      return `Stamina's egress proxy blocked this request: ${blocked.reason}. No allowlist entry can open it (for an internal registry, the operator can name its address and port in STAMINA_NETWORK_PRIVATE).\n`;
    case "unresolved":
      return `Stamina's egress proxy blocked this request: ${blocked.reason}.\n`;
    case "bad-request":
      return `Stamina's egress proxy cannot serve this request: ${blocked.reason}.\n`;
  }
}

/** A name as the allowlist compares it: lowercase, no trailing dot. */
function normalise(host: string): string {
  return host.toLowerCase().replace(/\.$/, "");
}

function allowed(allow: readonly string[], host: string): boolean {
  return allow.some((entry) =>
    entry.startsWith("*.") ? host.endsWith(entry.slice(1)) : host === entry,
  );
}

/** Every address of this host's interfaces: a name leading there is a way to its services. */
function hostAddresses(): Set<string> {
  const found = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) found.add(i.address.replace(/%.*$/, ""));
  }
  return found;
}

function withoutHopByHop(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name.toLowerCase())) kept[name] = value;
  }
  return kept;
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    "Content-Type": "text/plain; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    Connection: "close",
  });
  res.end(text);
}

function reply(client: Socket, status: number, text: string): void {
  const phrase = { 400: "Bad Request", 403: "Forbidden", 502: "Bad Gateway" }[status] ?? "Error";
  client.end(
    `HTTP/1.1 ${status} ${phrase}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
