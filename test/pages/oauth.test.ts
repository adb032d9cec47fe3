// Sign-in with GitHub for the run pages, over HTTP: the real gate in front of a page of the
// test's own, the fake GitHub answering the OAuth web flow and the user's reads.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Browser, startOAuthWorld, type OAuthWorld } from "./oauth-world.ts";

let world: OAuthWorld;

beforeEach(async () => {
  world = await startOAuthWorld();
});

afterEach(async () => {
  await world.close();
});

/** Signs `login` in by visiting a page, through GitHub and back; the browser that did it. */
async function signedIn(login: string, page = "/runs/acme/app"): Promise<Browser> {
  world.gh.signInAs(login);
  const browser = new Browser();
  await browser.get(`${world.base}${page}`);
  expect(browser.cookies.has("stamina_session")).toBe(true);
  return browser;
}

describe("sign-in with GitHub", () => {
  it("sends a viewer without a session through GitHub and back to the page they asked for", async () => {
    world.gh.signInAs("octocat");
    const browser = new Browser();
    const visit = await browser.get(`${world.base}/runs/acme/app?kind=model`);

    expect(visit.status).toBe(200);
    expect(visit.body).toBe("hello octocat: acme/app");
    const paths = visit.hops.map((h) => `${h.status} ${new URL(h.url).pathname}`);
    expect(paths).toEqual([
      "302 /runs/acme/app",
      "302 /runs/auth/login",
      "302 /login/oauth/authorize",
      "302 /runs/auth/callback",
      "200 /runs/acme/app",
    ]);
    expect(visit.hops.at(-1)?.url).toBe(`${world.base}/runs/acme/app?kind=model`);
    // GitHub was asked with the app's client, the callback under STAMINA_PUBLIC_URL and a state.
    const authorize = new URL(visit.hops[2]!.url);
    expect(authorize.searchParams.get("client_id")).toBe(world.gh.oauthClient.id);
    expect(authorize.searchParams.get("redirect_uri")).toBe(`${world.base}/runs/auth/callback`);
    expect(authorize.searchParams.get("state")).toMatch(/^[\w-]{43}$/);
    // The code was traded with the secret, and the viewer named with their own token.
    const trade = world.gh.requests.find((r) => r.path === "/login/oauth/access_token");
    expect(trade).toMatchObject({ method: "POST", status: 200 });
    expect(trade?.body).toMatchObject({
      client_id: world.gh.oauthClient.id,
      client_secret: "(given)",
    });
    expect(world.gh.requests.find((r) => r.path === "/api/v3/user")?.status).toBe(200);
  });

  it("keeps the session in a sealed HttpOnly, SameSite=Lax cookie that never shows the token", async () => {
    const browser = await signedIn("octocat");
    const [token] = world.gh.userTokens();
    expect(token).toMatch(/^ghu_/);
    const session = browser.cookies.get("stamina_session")!;
    expect(session.raw).toMatch(/; Path=\/runs; Max-Age=28800; HttpOnly; SameSite=Lax$/);
    for (const form of [
      token!,
      Buffer.from(token!).toString("base64"),
      Buffer.from(token!).toString("base64url"),
    ]) {
      expect(session.value).not.toContain(form);
    }
    // The sign-in's own cookie is gone once it served, and the token went to the redactor.
    expect(browser.cookies.has("stamina_sign_in")).toBe(false);
    expect(world.tokensSeen).toContain(token);
  });

  it("refuses with a 403 page in words a signed-in viewer GitHub does not let read the repository", async () => {
    const browser = await signedIn("octocat");
    const visit = await browser.get(`${world.base}/runs/acme/secret`);

    expect(visit.status).toBe(403);
    expect(visit.body).toContain("You are signed in to GitHub as octocat");
    expect(visit.body).toContain("GitHub says you cannot read acme/secret");
    expect(world.repoReads("acme/secret")).toBe(1);
    // Someone else, given read access there, is admitted.
    world.gh.setPermission("acme", "secret", "hubot", "triage");
    const other = await signedIn("hubot", "/runs/acme/secret");
    expect((await other.get(`${world.base}/runs/acme/secret`)).body).toBe(
      "hello hubot: acme/secret",
    );
  });

  it("escapes what the 403 page shows", async () => {
    const browser = await signedIn("octocat");
    const visit = await browser.get(`${world.base}/runs/acme/%3Cscript%3Ex`);
    expect(visit.status).toBe(403);
    expect(visit.body).not.toContain("<script>");
    expect(visit.body).toContain("acme/%3Cscript%3Ex");
  });
});

describe("a callback that is not this browser's sign-in", () => {
  /** Starts a sign-in in `browser` and lets GitHub answer: the callback it sends the browser to. */
  async function gitHubAnswer(browser: Browser, login: string): Promise<URL> {
    world.gh.signInAs(login);
    const visit = await browser.get(`${world.base}/runs/auth/login`, 2);
    expect(visit.hops.map((h) => h.status)).toEqual([302, 302]);
    expect(visit.next?.pathname).toBe("/runs/auth/callback");
    return visit.next!;
  }

  it("refuses a state that differs from the one this browser started with", async () => {
    const browser = new Browser();
    await gitHubAnswer(browser, "octocat");
    // An attacker's own sign-in: a real code, with the attacker's state, sent to this browser.
    const forged = await gitHubAnswer(new Browser(), "mallory");
    const visit = await browser.get(forged.href);

    expect(visit.status).toBe(400);
    expect(visit.body).toContain("does not match the sign-in this browser started");
    expect(browser.cookies.has("stamina_session")).toBe(false);
    expect(world.gh.requests.some((r) => r.path === "/login/oauth/access_token")).toBe(false);
  });

  it("refuses a callback with its state left out", async () => {
    const browser = new Browser();
    const answer = await gitHubAnswer(browser, "octocat");
    answer.searchParams.delete("state");
    const visit = await browser.get(answer.href);
    expect(visit.status).toBe(400);
    expect(visit.body).toContain("does not match the sign-in this browser started");
  });

  it("refuses a callback when this browser started no sign-in (no state cookie)", async () => {
    const answer = await gitHubAnswer(new Browser(), "octocat");
    const visit = await new Browser().get(answer.href);

    expect(visit.status).toBe(400);
    expect(visit.body).toContain("This browser has no sign-in under way");
    expect(world.gh.requests.some((r) => r.path === "/login/oauth/access_token")).toBe(false);
  });

  it("refuses a sign-in started more than ten minutes ago", async () => {
    const browser = new Browser();
    const answer = await gitHubAnswer(browser, "octocat");
    world.clock.now += 10 * 60_000 + 1;
    const visit = await browser.get(answer.href);
    expect(visit.status).toBe(400);
    expect(visit.body).toContain("took over ten minutes");
  });

  it("says so in words when GitHub refuses the code", async () => {
    const browser = new Browser();
    const answer = await gitHubAnswer(browser, "octocat");
    answer.searchParams.set("code", "0123456789abcdef0123");
    const visit = await browser.get(answer.href);
    expect(visit.status).toBe(502);
    expect(visit.body).toContain(
      "GitHub refused the sign-in (bad_verification_code: The code passed is incorrect or expired.)",
    );
  });
});

describe("the session cookie", () => {
  it("is refused when changed: the viewer is sent to sign in again, and the page never runs", async () => {
    const browser = await signedIn("octocat");
    const session = browser.cookies.get("stamina_session")!;
    // A character of the sealed body, past the nonce and the tag.
    const flipped =
      session.value.slice(0, 60) +
      (session.value[60] === "A" ? "B" : "A") +
      session.value.slice(61);
    browser.cookies.set("stamina_session", { ...session, value: flipped });

    const visit = await browser.get(`${world.base}/runs/acme/app`, 1);
    expect(visit.status).toBe(302);
    expect(visit.next?.href).toBe(`${world.base}/runs/auth/login?next=%2Fruns%2Facme%2Fapp`);
  });

  it("is refused when it is the sign-in's cookie moved under the session's name", async () => {
    const browser = new Browser();
    world.gh.signInAs("octocat");
    await browser.get(`${world.base}/runs/auth/login`, 1);
    const state = browser.cookies.get("stamina_sign_in")!.value;
    const response = await fetch(`${world.base}/runs/acme/app`, {
      redirect: "manual",
      headers: { cookie: `stamina_session=${state}` },
    });
    expect(response.status).toBe(302);
  });

  it("ends after eight hours, as GitHub's user tokens do", async () => {
    const browser = await signedIn("octocat");
    world.clock.now += 8 * 3_600_000;
    const response = await fetch(`${world.base}/runs/acme/app`, {
      redirect: "manual",
      headers: { cookie: `stamina_session=${browser.cookies.get("stamina_session")!.value}` },
    });
    expect(response.status).toBe(302);
  });
});

describe("read access", () => {
  it("is GitHub's answer, reused for a minute, and asked again once that passed", async () => {
    const browser = await signedIn("octocat");
    expect(world.repoReads("acme/app")).toBe(1);
    expect((await browser.get(`${world.base}/runs/acme/app`)).status).toBe(200);
    expect(world.repoReads("acme/app")).toBe(1);

    world.gh.setPermission("acme", "app", "octocat", "none");
    world.clock.now += 59_000;
    expect((await browser.get(`${world.base}/runs/acme/app`)).status).toBe(200);
    expect(world.repoReads("acme/app")).toBe(1);

    world.clock.now += 1_000;
    const after = await browser.get(`${world.base}/runs/acme/app`);
    expect(after.status).toBe(403);
    expect(world.repoReads("acme/app")).toBe(2);
  });

  it("is not taken for a no, nor kept, when GitHub fails to answer", async () => {
    const browser = await signedIn("octocat");
    world.clock.now += 60_000;
    world.gh.failNext("GET", /^\/api\/v3\/repos\/acme\/app$/, {
      status: 502,
      body: { message: "busy" },
    });
    const failed = await browser.get(`${world.base}/runs/acme/app`);
    expect(failed.status).toBe(500);
    expect(failed.body).toContain("GitHub did not answer whether you may read acme/app (HTTP 502)");
    expect((await browser.get(`${world.base}/runs/acme/app`)).status).toBe(200);
    expect(world.repoReads("acme/app")).toBe(3);
  });
});
