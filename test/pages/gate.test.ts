// The gate without GitHub sign-in: STAMINA_PAGES_LOCAL=true admits only loopback peers and
// never a request a proxy forwarded; unset, the pages say how to turn them on. The peer
// address is the socket's, which a test on one machine cannot make non-loopback, so the rule
// is checked with given addresses and, on the real server, with the proxies' headers.
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { choosePageGate } from "../../src/pages/choose-gate.ts";
import { isLoopback, localRefusal, PAGES_OFF } from "../../src/pages/local-gate.ts";
import { readSettings } from "../../src/settings.ts";
import { startPages, type PagesWorld } from "./fixture.ts";

const request = (remoteAddress: string | undefined, headers: Record<string, string> = {}) => ({
  headers,
  socket: { remoteAddress },
});
const log = pino({ level: "silent" });

describe("the local gate's rule", () => {
  it("takes 127.0.0.0/8 and ::1, also mapped into IPv6, as loopback, and nothing else", () => {
    for (const a of ["127.0.0.1", "127.5.6.7", "::1", "::ffff:127.0.0.1"]) {
      expect(isLoopback(a)).toBe(true);
    }
    for (const a of [
      "10.0.0.1",
      "192.168.1.2",
      "::ffff:10.0.0.1",
      "fe80::1",
      "128.0.0.1",
      undefined,
    ]) {
      expect(isLoopback(a)).toBe(false);
    }
  });

  it("refuses a peer that is not loopback, naming its address", () => {
    expect(localRefusal(request("127.0.0.1"))).toBeNull();
    expect(localRefusal(request("203.0.113.9"))).toContain(
      "answer only a browser on this machine (a loopback address), and this request came from 203.0.113.9",
    );
  });

  it("refuses a loopback peer whose request carries Forwarded or X-Forwarded-For", () => {
    expect(localRefusal(request("127.0.0.1", { "x-forwarded-for": "203.0.113.9" }))).toContain(
      "came through a proxy (it carries x-forwarded-for)",
    );
    expect(localRefusal(request("::1", { forwarded: "for=203.0.113.9" }))).toContain(
      "(it carries forwarded)",
    );
  });

  it("is chosen only with STAMINA_PAGES_LOCAL=true; otherwise no viewer is ever admitted", async () => {
    const local = choosePageGate(readSettings({ STAMINA_PAGES_LOCAL: "true" }), { log });
    const off = choosePageGate(readSettings({}), { log });
    expect(await local.mayRead({ kind: "local" }, "octo-org/greeter")).toBe(true);
    expect(await off.mayRead({ kind: "local" }, "octo-org/greeter")).toBe(false);
  });
});

describe("the run pages behind the gate, over HTTP", () => {
  let local: PagesWorld;
  let off: PagesWorld;
  let runId: string;

  beforeAll(async () => {
    local = await startPages({
      gate: choosePageGate(readSettings({ STAMINA_PAGES_LOCAL: "true" }), { log }),
    });
    off = await startPages({ gate: choosePageGate(readSettings({}), { log }) });
    runId = (await local.queue("octo-org/greeter", 1)).id;
  });
  afterAll(async () => {
    await local?.close();
    await off?.close();
  });

  it("answers a loopback browser, and refuses the same request sent through a proxy", async () => {
    for (const path of ["/runs", `/runs/${runId}`, `/runs/${runId}/audit.jsonl`]) {
      expect((await fetch(`${local.url}${path}`)).status).toBe(200);
      for (const header of [
        ["x-forwarded-for", "203.0.113.9"],
        ["forwarded", "for=203.0.113.9"],
      ] as Array<[string, string]>) {
        const refused = await fetch(`${local.url}${path}`, { headers: [header] });
        expect(refused.status).toBe(403);
        const body = await refused.text();
        expect(body).toContain("This request came through a proxy");
        expect(body).not.toContain(runId);
      }
    }
  });

  it("without sign-in or STAMINA_PAGES_LOCAL, answers every page with how to turn them on", async () => {
    const response = await fetch(`${off.url}/runs`);
    expect(response.status).toBe(403);
    const body = await response.text();
    expect(body).toContain(PAGES_OFF);
    expect(body).toContain("set STAMINA_PAGES_LOCAL=true and restart");
  });
});
