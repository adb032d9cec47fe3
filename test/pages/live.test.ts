// A run page following a run live, on real processes: `serve` answers the pages and a separate
// `worker` runs the scripted run, both on one SQLite database. The page is opened while the
// run waits in step 3's command; once the test lets the command end, the events the worker
// records (the rest of step 3, verification, the pull request, `run.finished`) appear on the
// open page through the event stream, without a reload; and `serve` still stops on SIGTERM
// with the page open.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { browserNeed, launchBrowser } from "../support/browser.ts";
import { startWorld, type World } from "../support/world.ts";

describe.skipIf(browserNeed.skip)(browserNeed.title("a run page, live"), () => {
  let world: World;
  let browser: Browser;
  beforeAll(async () => {
    world = await startWorld();
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  it("shows the events a worker in another process records, as they are stored", async () => {
    // A long lease: no worker dies here, and on a loaded machine the world's 5 s let a busy
    // worker lose its run to itself mid-step.
    const env = {
      STAMINA_GITHUB_THROTTLE: "off",
      STAMINA_PAGES_LOCAL: "true",
      STAMINA_LEASE_SECONDS: "60",
    };
    const serve = world.start("serve", env);
    const url = await serve.webhookUrl();
    world.start("worker", { ...env, STAMINA_WORKER_ID: "live-worker" });
    expect((await world.label(url, 1)).status).toBe(202);
    await world.stepThreeRunning(1);
    const run = await world.runRow(1);

    const page = await browser.newPage();
    await page.goto(`${new URL(url).origin}/runs/${String(run.id)}`);
    const finished = page.locator(".event .type", { hasText: /^run\.finished$/ });
    expect(await finished.count()).toBe(0);
    const before = await page.locator(".event").count();
    // Set on this document: still there afterwards means the page was never reloaded.
    await page.evaluate(() => ((globalThis as { openedOnce?: boolean }).openedOnce = true));

    world.openGate(1);
    expect(await world.finished(1)).toBe("succeeded");
    await expect.poll(() => finished.count(), { timeout: 30_000 }).toBe(1);
    const events = await world.audit(1);
    await expect
      .poll(() => page.locator(".event").count(), { timeout: 10_000 })
      .toBe(events.length);
    expect(events.length).toBeGreaterThan(before);
    const rows = await page.locator(".event").all();
    const seqs = await Promise.all(
      rows.map(async (row) => Number(await row.getAttribute("data-seq"))),
    );
    expect(seqs).toEqual(events.map((e) => e.seq));
    expect(await page.evaluate(() => (globalThis as { openedOnce?: boolean }).openedOnce)).toBe(
      true,
    );
    // SIGTERM with the page still open: its stream is ended, so the server closes and exits.
    expect(await serve.stop()).toBe(0);
    await page.close();
  }, 120_000);
});
