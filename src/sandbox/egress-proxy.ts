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
import { connect, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { ipAddress, refusedRange } from "./egress-addresses.ts";

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

/** The addresses a request may go to, in the resolver's order, or why it may not. */
type Decision = { addresses: string[] } | { blocked: BlockedRequest };

export async function startEgressProxy(opts: EgressProxyOptions): Promise<EgressProxy> {
  const decide = decider(opts);
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    // A peer that goes away mid-tunnel is not the harness's problem.
    socket.on("error", () => socket.destroy());
  };

  /** What is not a proxy request: told to onBlocked, answered with a 400. */
  const badRequest = (host: string, reason: string) => {
    const blocked: BlockedRequest = { host, port: 0, kind: "bad-request", reason };
    opts.onBlocked(blocked);
    return blockedText(blocked);
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
      return answer(res, 400, badRequest(url.hostname, reason));
    }
    const port = Number(url.port || 80);
    const decided = await decide(url.hostname, port);
    if ("blocked" in decided) return answer(res, 403, blockedText(decided.blocked));
    let socket: Socket;
    try {
      socket = await dial(decided.addresses, port);
    } catch (error) {
      return answer(res, 502, unreachable(url.host, error));
    }
    track(socket);
    const upstream = httpRequest(
      {
        // The checked address, connected already: node looks nothing up again.
        createConnection: () => socket,
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
    // A client that goes away takes its upstream request with it.
    res.once("close", () => upstream.destroy());
    upstream.on("error", (error) => {
      if (res.headersSent) res.destroy();
      else answer(res, 502, unreachable(url.host, error));
    });
    req.pipe(upstream);
  };

  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    void (async () => {
      const target = connectTarget(req.url ?? "");
      if (target === null) {
        return reply(client, 400, badRequest("", `CONNECT ${req.url ?? ""}: not a host:port`));
      }
      const { host, port } = target;
      const decided = await decide(host, port);
      if (client.destroyed) return;
      if ("blocked" in decided) return reply(client, 403, blockedText(decided.blocked));
      let upstream: Socket;
      try {
        upstream = await dial(decided.addresses, port);
      } catch (error) {
        if (!client.destroyed) reply(client, 502, unreachable(`${host}:${port}`, error));
        return;
      }
      track(upstream);
      if (client.destroyed) return void upstream.destroy();
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
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
    if (ipAddress(host) !== null) {
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
    const reachable: string[] = [];
    for (const { address } of addresses) {
      const why = refusedRange(address) ?? (own.has(address) ? "an address of this host" : null);
      const key = address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
      if (why === null || exempt.has(key)) reachable.push(address);
      else first ??= `${address}, ${why}`;
    }
    if (reachable.length > 0) return { addresses: reachable };
    return refuse(
      first === null ? "unresolved" : "refused-address",
      first === null
        ? `${host} resolves to no address`
        : `${host} resolves to ${first}, which commands may never reach, even for an allowed name`,
    );
  };
}

/** A CONNECT's host:port, its port read as given (a URL drops a port that is its scheme's default). */
function connectTarget(requestTarget: string): { host: string; port: number } | null {
  const target = /^(.+):(\d{1,5})$/.exec(requestTarget);
  const port = Number(target?.[2]);
  if (!target?.[1] || !(port >= 1 && port <= 65535)) return null;
  try {
    const host = new URL(`http://${target[1]}/`).hostname;
    return host === "" ? null : { host, port };
  } catch {
    return null;
  }
}

const CONNECT_TIMEOUT_MS = 15_000;

/**
 * A connection to the first of `addresses` that answers (a host whose IPv6 address has no
 * route here is reached on its IPv4 one), each tried for at most 15 s.
 */
function dial(addresses: string[], port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    let at = 0;
    let last: Error = new Error("no address to connect to");
    const next = () => {
      const address = addresses[at++];
      if (address === undefined) return reject(last);
      const socket = connect({ host: address, port });
      const timer = setTimeout(() => {
        socket.destroy(new Error(`${address} port ${port} did not answer within 15 s`));
      }, CONNECT_TIMEOUT_MS);
      const failed = (error: Error) => {
        clearTimeout(timer);
        last = error;
        socket.destroy();
        next();
      };
      socket.once("error", failed);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", failed);
        socket.on("error", () => socket.destroy());
        resolve(socket);
      });
    };
    next();
  });
}

function unreachable(host: string, error: unknown): string {
  const why = error instanceof Error ? error.message : String(error);
  return `Stamina's egress proxy could not reach ${host}: ${why}\n`;
}

/** The 403's text: what was refused, and what (if anything) would let it through. */
function blockedText(blocked: BlockedRequest): string {
  switch (blocked.kind) {
    case "not-allowed":
      return ipAddress(blocked.host) !== null
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
