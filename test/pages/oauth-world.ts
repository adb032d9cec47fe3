// The world the sign-in tests share: the fake GitHub with two repositories of `acme`, and a real
// HTTP server with the OAuth gate in front of a page of the test's own (the run pages come from
// elsewhere): `/runs/OWNER/REPO` answers "hello LOGIN: OWNER/REPO" to a viewer GitHub lets read
// that repository, and the gate's 403 page to one it does not. The clock is the test's, shared
// by the gate (sessions, the cached answers) and the fake (codes, tokens).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createOAuthGate } from "../../src/pages/oauth-gate.ts";
import { forbiddenPage, sendAuthPage } from "../../src/pages/oauth-pages.ts";
import type { PageGate } from "../../src/pages/gate.ts";
import { APP_PUBLIC_KEY } from "../support/app-harness.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";

const WEBHOOK_SECRET = "the-webhook-secret-of-this-test";

export interface OAuthWorld {
  gh: FakeGitHub;
  /** http://127.0.0.1:PORT of the pages' server. */
  base: string;
  clock: { now: number };
  /** Tokens the gate handed to the redactor. */
  tokensSeen: string[];
  /** GET requests the fake answered for `/repos/OWNER/REPO`. */
  repoReads(repository: string): number;
  close(): Promise<void>;
}

export async function startOAuthWorld(): Promise<OAuthWorld> {
  const clock = { now: Date.UTC(2026, 11, 6, 9, 0, 0) };
  const now = () => clock.now;
  const gh = await startFakeGitHub({ appId: 1, appPublicKeyPem: APP_PUBLIC_KEY, now });
  gh.addInstallation(1, "acme");
  for (const name of ["app", "secret"]) {
    await gh.createRepository({
      owner: "acme",
      name,
      installationId: 1,
      files: { "README.md": name },
    });
  }
  gh.setPermission("acme", "app", "octocat", "read");

  const server: Server = createServer((req, res) => {
    void (async () => {
      const viewer = await gate.admit(req, res);
      if (viewer === null) return;
      const match = /^\/runs\/([^/?]+)\/([^/?]+)/.exec(req.url ?? "");
      const repository = match ? `${match[1]}/${match[2]}` : "";
      const login = viewer.kind === "github" ? viewer.login : "local";
      if (!(await gate.mayRead(viewer, repository))) {
        sendAuthPage(res, forbiddenPage(login, repository));
        return;
      }
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end(`hello ${login}: ${repository}`);
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tokensSeen: string[] = [];
  // Built once the server listens, as its address is the callback's; no request comes before.
  const gate: PageGate = createOAuthGate({
    client: gh.oauthClient,
    github: { webUrl: gh.url, apiUrl: gh.apiUrl },
    secret: WEBHOOK_SECRET,
    publicUrl: base,
    now,
    onToken: (token) => tokensSeen.push(token),
  });
  return {
    gh,
    base,
    clock,
    tokensSeen,
    repoReads: (repository) =>
      gh.requests.filter((r) => r.method === "GET" && r.path === `/api/v3/repos/${repository}`)
        .length,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gh.close();
    },
  };
}

/** One hop of a browse: the address asked and the answer's status. */
export interface Hop {
  url: string;
  status: number;
}

/**
 * A browser's cookie jar and redirects, in a few lines: cookies by name with their Path (sent
 * only under it, and never across hosts), Max-Age=0 deleting one; redirects followed by hand so
 * the test sees each hop.
 */
export class Browser {
  readonly cookies = new Map<string, { value: string; host: string; path: string; raw: string }>();

  /**
   * Visits `url`, following at most `maxHops - 1` redirects: the last answer, and `next`, where
   * it redirects to when the hops ran out first.
   */
  async get(
    url: string,
    maxHops = 10,
  ): Promise<{ hops: Hop[]; status: number; body: string; next?: URL }> {
    const hops: Hop[] = [];
    let at = new URL(url);
    for (;;) {
      const response = await fetch(at, { redirect: "manual", headers: this.header(at) });
      this.keep(at, response.headers.getSetCookie());
      hops.push({ url: at.href, status: response.status });
      const location = response.headers.get("location");
      if (response.status < 300 || response.status >= 400 || location === null) {
        return { hops, status: response.status, body: await response.text() };
      }
      await response.body?.cancel();
      at = new URL(location, at);
      if (hops.length >= maxHops) return { hops, status: response.status, body: "", next: at };
    }
  }

  private header(url: URL): Record<string, string> {
    const sent = [...this.cookies.entries()].filter(
      ([, c]) => c.host === url.host && url.pathname.startsWith(c.path),
    );
    return sent.length === 0
      ? {}
      : { cookie: sent.map(([name, c]) => `${name}=${c.value}`).join("; ") };
  }

  private keep(url: URL, setCookies: string[]): void {
    for (const raw of setCookies) {
      const [pair = "", ...attributes] = raw.split(";").map((p) => p.trim());
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const path = attributes.find((a) => a.startsWith("Path="))?.slice(5) ?? "/";
      if (attributes.includes("Max-Age=0")) this.cookies.delete(name);
      else this.cookies.set(name, { value: pair.slice(at + 1), host: url.host, path, raw });
    }
  }
}
