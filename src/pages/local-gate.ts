// The gate without GitHub sign-in: STAMINA_PAGES_LOCAL=true serves the pages to this machine's
// own browser, and to nothing else. A loopback peer is not enough: a reverse proxy on the same
// host makes every request look local, so a request carrying Forwarded or X-Forwarded-For (what
// proxies add) is refused too. With it unset, the pages answer only how to turn them on.
import type { IncomingHttpHeaders } from "node:http";
import type { PageGate } from "./gate.ts";
import { sendProblem } from "./layout.ts";

/** 127.0.0.0/8 and ::1, also as IPv4 mapped into IPv6 (::ffff:127.0.0.1). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4) || address === "::1";
}

/** Why the local gate refuses this request, in words for the page; null when it admits it. */
export function localRefusal(req: {
  headers: IncomingHttpHeaders;
  socket: { remoteAddress?: string | undefined };
}): string | null {
  const proxied = ["forwarded", "x-forwarded-for"].filter((h) => req.headers[h] !== undefined);
  if (proxied.length > 0) {
    return `This request came through a proxy (it carries ${proxied.join(" and ")}), and without GitHub sign-in the run pages answer only a browser on this machine itself, never one a proxy forwards: a proxy on this host makes every visitor look local. Open the pages from this machine without the proxy, or set up GitHub sign-in for the pages.`;
  }
  const peer = req.socket.remoteAddress;
  if (!isLoopback(peer)) {
    return `Without GitHub sign-in the run pages answer only a browser on this machine (a loopback address), and this request came from ${peer ?? "an unknown address"}. Open them on the machine that runs Stamina, or set up GitHub sign-in for the pages.`;
  }
  return null;
}

export function localGate(): PageGate {
  return {
    admit(req, res) {
      const refusal = localRefusal(req);
      if (refusal === null) return Promise.resolve({ kind: "local" });
      sendProblem(res, 403, refusal);
      return Promise.resolve(null);
    },
    // One person on one machine, who started Stamina: every repository's runs are theirs to read.
    mayRead: () => Promise.resolve(true),
  };
}

export const PAGES_OFF =
  "The run pages are off: no GitHub sign-in is set up for them, and STAMINA_PAGES_LOCAL is not true. To let people sign in with GitHub, set GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET (the OAuth client of the app) and restart; to read them only from a browser on the machine that runs Stamina, set STAMINA_PAGES_LOCAL=true and restart: they then answer loopback peers only, never a request through a proxy.";

/** The gate when neither sign-in nor local pages are set up: every request gets how to enable. */
export function disabledGate(): PageGate {
  return {
    admit(_req, res) {
      sendProblem(res, 403, PAGES_OFF);
      return Promise.resolve(null);
    },
    mayRead: () => Promise.resolve(false),
  };
}
