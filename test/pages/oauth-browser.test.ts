// Sign-in with GitHub in a real browser: headless Chromium (Debian's, driven by playwright-core)
// opens a run page, is sent through the fake GitHub's sign-in and back, and sees the page; then
// asks for a repository it may not read and sees the 403 page. The cookies are the browser's own.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { machineNeed } from "../support/machine.ts";
import { startOAuthWorld, type OAuthWorld } from "./oauth-world.ts";

const CHROMIUM = "/usr/bin/chromium";
const need = machineNeed(
  existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing: apt-get install -y chromium`,
);

describe.skipIf(need.skip)(need.title("sign-in with GitHub in headless Chromium"), () => {
  let world: OAuthWorld;
  let browser: Browser;

  beforeAll(async () => {
    need.ensure();
    world = await startOAuthWorld();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it("signs a viewer in through GitHub, shows the page they can read and refuses the one they cannot", async () => {
    world.gh.signInAs("octocat");
    const context = await browser.newContext();
    const page = await context.newPage();

    const answer = await page.goto(`${world.base}/runs/acme/app`);
    expect(answer?.status()).toBe(200);
    expect(page.url()).toBe(`${world.base}/runs/acme/app`);
    expect(await page.textContent("body")).toBe("hello octocat: acme/app");
    // The browser holds the session as the gate set it: not readable by a script.
    const session = (await context.cookies()).find((c) => c.name === "stamina_session");
    expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/runs" });
    expect(await page.evaluate("document.cookie")).toBe("");

    const refused = await page.goto(`${world.base}/runs/acme/secret`);
    expect(refused?.status()).toBe(403);
    expect(await page.textContent("h1")).toBe("Not allowed");
    expect(await page.textContent("body")).toContain("GitHub says you cannot read acme/secret");
    await context.close();
  });
});
