// The run pages in headless Chromium, served from a real store: the runs list and its filters
// (a bad one is a 400 page in words), a recorded run's page with its health charts (the points
// checked in the page's JSON, drawn by uPlot), hostile event text shown as text, the JSONL
// download verifying, its signatures checked on the page, and an unknown run's 404.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Locator } from "playwright-core";
import type { RunHealth } from "../../src/audit/health/index.ts";
import { auditSigner, generateAuditKey, parsePublicKey } from "../../src/audit/signing.ts";
import { parseJsonl, verifyChain, verifySignatures } from "../../src/audit/verify.ts";
import { browserNeed, launchBrowser } from "../support/browser.ts";
import { recordedRun, startPages, stopped, type PagesWorld } from "./fixture.ts";

const HOSTILE = `</script><img src=x onerror="window.pwned=1"><b>bold</b> & "quotes"`;
/** An element's text with its whitespace collapsed, as a reader sees it. */
const textOf = async (locator: Locator) =>
  ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();
const series = (health: RunHealth, chart: string, name: string) =>
  health.charts.find((c) => c.id === chart)?.series.find((s) => s.name === name)?.points;

describe.skipIf(browserNeed.skip)(browserNeed.title("the run pages in Chromium"), () => {
  let browser: Browser;
  let w: PagesWorld;
  const signer = auditSigner(generateAuditKey(), "test key");
  let recorded: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    w = await startPages({ signer });
    // 30 runs: two pages of the list. Every third in another repository, some finished.
    for (let i = 1; i <= 30; i++) {
      const repo = i % 3 === 0 ? "octo-org/other" : "octo-org/greeter";
      const run = await w.queue(repo, i);
      if (i % 5 === 0) {
        await w.store.runs.update(run.id, { agentOutcome: stopped("out_of_budget") });
        await w.store.runs.finish(run.id, "out_of_budget", "the step budget ran out");
      }
    }
    const run = await w.queue("octo-org/greeter", 99, `Greeting ${HOSTILE}`);
    await w.store.audit.append(run.id, recordedRun(HOSTILE));
    await w.store.audit.append(run.id, [
      { type: "run.finished", data: { state: "succeeded", outcome: "opened a pull request" } },
    ]);
    await w.store.runs.update(run.id, { agentOutcome: stopped("completed") });
    await w.store.runs.finish(run.id, "succeeded", "opened a pull request");
    recorded = run.id;
    const waiting = await w.queue("octo-org/other", 100, "Waits for an answer");
    await w.store.runs.update(waiting.id, { state: "awaiting_reply" });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await w?.close();
  });

  it("lists the runs newest first, a page at a time, and filters by repository, state and outcome", async () => {
    const page = await browser.newPage();
    await page.goto(`${w.url}/runs`);
    const rows = page.locator("#runs tbody tr");
    expect(await rows.count()).toBe(25);
    expect(await textOf(page.locator("#count"))).toBe("32 runs; page 1 of 2");
    expect(await textOf(rows.first().locator("td").nth(1))).toContain("#100");
    await page.click("a[rel=next]");
    expect(await rows.count()).toBe(7);
    expect(page.url()).toBe(`${w.url}/runs?page=2`);

    await page.goto(`${w.url}/runs`);
    await page.fill("input[name=repo]", "octo-org/other");
    await page.click("button[type=submit]");
    expect(await rows.count()).toBe(11);
    const repos = await rows.locator("td:first-child").allTextContents();
    expect(new Set(repos)).toEqual(new Set(["octo-org/other"]));

    await page.selectOption("select[name=state]", "out_of_budget");
    await page.click("button[type=submit]");
    // Issues 15 and 30 are in octo-org/other and ran out of budget.
    expect(await rows.locator("td:nth-child(2) a").allTextContents()).toEqual(["#30", "#15"]);

    await page.goto(`${w.url}/runs?outcome=completed`);
    expect(await rows.count()).toBe(1);
    expect(await textOf(rows.locator(".outcome"))).toBe("completed");
    expect(await textOf(rows.locator(".glance"))).toMatch(/healthy|watch|unhealthy/);
    await page.close();
  });

  it("answers a bad filter with a 400 page that says what the filter takes", async () => {
    const page = await browser.newPage();
    const bad = await page.goto(`${w.url}/runs?state=sleeping`);
    expect(bad?.status()).toBe(400);
    expect(await textOf(page.locator(".problem"))).toContain(
      'The state filter "sleeping" is not a run state; it takes one of: queued,',
    );
    const repo = await page.goto(`${w.url}/runs?repo=${encodeURIComponent("<b>x</b>")}`);
    expect(repo?.status()).toBe(400);
    expect(await textOf(page.locator(".problem"))).toContain(
      '"<b>x</b>" is not of the form owner/name',
    );
    expect(await page.locator(".problem b").count()).toBe(0);
    expect((await page.goto(`${w.url}/runs?page=0`))?.status()).toBe(400);
    expect((await page.goto(`${w.url}/runs?outcome=won`))?.status()).toBe(400);
    await page.close();
  });

  it("shows a recorded run's health charts, their points in the page's JSON, drawn by uPlot", async () => {
    const page = await browser.newPage();
    await page.goto(`${w.url}/runs/${recorded}`);
    const health = JSON.parse(
      (await page.locator("#health-data").textContent()) ?? "",
    ) as RunHealth;
    expect(health.steps).toBe(6);
    expect(health.charts.map((c) => c.id)).toEqual([
      "context",
      "errors",
      "drift",
      "memory",
      "safety",
      "spend",
    ]);
    // Steps 3 and 4 each had a failing command.
    expect(series(health, "errors", "failing tool calls (so far)")).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
      [4, 2],
      [5, 2],
      [6, 2],
    ]);
    // build.sh, changed at step 3, is named by neither the issue nor the plan; greet.js is.
    expect(series(health, "drift", "files changed outside the issue and the plan")).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
      [4, 1],
      [5, 1],
      [6, 1],
    ]);
    expect(series(health, "drift", "watchdog signals")?.at(-1)).toEqual([6, 1]);
    // Step 4's request was compacted.
    expect(series(health, "memory", "compactions")).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
      [4, 1],
      [5, 1],
      [6, 1],
    ]);
    expect(series(health, "context", "request size (bytes of JSON)")?.slice(0, 2)).toEqual([
      [1, 4000],
      [2, 8000],
    ]);
    // uPlot drew each chart that has points; one without says so.
    const drawn = health.charts.filter((c) => c.series.some((s) => s.points.length > 0));
    expect(drawn.length).toBeGreaterThanOrEqual(5);
    await expect.poll(() => page.locator(".plot .uplot").count()).toBe(drawn.length);
    const empty = health.charts.filter((c) => !drawn.includes(c)).map((c) => `#chart-${c.id}`);
    for (const id of empty) expect(await textOf(page.locator(id))).toBe("No data yet.");
    await page.close();
  });

  it("shows hostile event text as text, and the chain, verification, plan and checkpoints", async () => {
    const page = await browser.newPage();
    await page.goto(`${w.url}/runs/${recorded}`);
    expect(await textOf(page.locator("h1"))).toContain(HOSTILE);
    expect(await page.locator("main img").count()).toBe(0);
    expect(await page.locator("main b").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
    await expect
      .poll(() => page.locator('.event[data-kind="watchdog"] .summary').textContent())
      .toContain("<img");
    // The chain check arrives on its own request, after the page is shown.
    await expect.poll(() => textOf(page.locator("#chain"))).toMatch(/^Chain verified: \d+ events/);
    expect(await page.locator("#chain").getAttribute("class")).toBe("ok");
    expect(await textOf(page.locator("#signature"))).toContain(
      `Signatures verified: 1 by audit key ${signer.keyId}`,
    );
    expect(await textOf(page.locator(".verification"))).toContain("passed");
    expect(await page.locator(".plan li").allTextContents()).toEqual(["◐ Fix greet.js"]);
    const commit = page.locator(".checkpoint summary").first();
    expect(await textOf(commit)).toContain("Commit aaaaaaaaaaaa (event");
    const diff = await page.locator(".checkpoint").first().locator(".add").allTextContents();
    expect(diff).toContain("+`Hello, ${name}!`");
    // The kind filter hides the other kinds' rows.
    const shown = () => page.locator(".event:visible").count();
    const all = await shown();
    await page.uncheck('#kinds input[value="model"]');
    expect(await shown()).toBeLessThan(all);
    expect(await page.locator('.event[data-kind="model"]:visible').count()).toBe(0);
    await page.close();
  });

  it("downloads the JSONL log, which verifies, signatures included", async () => {
    const page = await browser.newPage();
    await page.goto(`${w.url}/runs/${recorded}`);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
    const path = await download.path();
    const events = parseJsonl(readFileSync(path, "utf8"));
    expect(events.length).toBeGreaterThan(30);
    expect(verifyChain(events)).toMatchObject({ ok: true, count: events.length });
    expect(verifySignatures(events, parsePublicKey(signer.publicKey))).toMatchObject({ ok: true });
    await page.close();
  });

  it("gives an overview: cost per day and repository, runs needing a person, the least healthy", async () => {
    const page = await browser.newPage();
    await page.goto(`${w.url}/runs/overview`);
    const overview = JSON.parse((await page.locator("#overview-data").textContent()) ?? "") as {
      costByRepository: Array<{ repository: string; dollars: number }>;
      costByDay: Array<{ day: string; dollars: number }>;
      outcomesByDay: Array<{ day: string; outcomes: Record<string, number> }>;
    };
    // The recorded run's six model responses cost 0.01 + 0.02 + ... + 0.06.
    expect(overview.costByRepository).toHaveLength(1);
    expect(overview.costByRepository[0]?.repository).toBe("octo-org/greeter");
    expect(overview.costByRepository[0]?.dollars).toBeCloseTo(0.21, 6);
    expect(overview.costByDay.map((d) => d.day)).toEqual(["2026-11-21"]);
    expect(overview.costByDay[0]?.dollars).toBeCloseTo(0.21, 6);
    expect(overview.outcomesByDay).toEqual([
      { day: "2026-11-21", outcomes: { none: 25, out_of_budget: 6, completed: 1 } },
    ]);
    expect(await textOf(page.locator("#need-person"))).toBe("octo-org/other #100: awaiting_reply");
    expect(await page.locator("#least-healthy li").count()).toBe(10);
    await page.close();
  });

  it("answers an unknown run with a 404 page in words", async () => {
    const page = await browser.newPage();
    const response = await page.goto(`${w.url}/runs/no-such-run`);
    expect(response?.status()).toBe(404);
    expect(await textOf(page.locator(".problem"))).toContain('There is no run "no-such-run"');
    expect((await page.goto(`${w.url}/runs/${recorded}/nothing`))?.status()).toBe(404);
    await page.close();
  });
  // Last: its run would change the counts the overview test checks.
  it("says where a tampered log's chain breaks, and starts a long run's timeline at its latest 1,000 events", async () => {
    const run = await w.queue("octo-org/greeter", 77, "A long run");
    const notes = Array.from({ length: 1_200 }, (_, n) => ({ type: "hook.note", data: { n } }));
    await w.store.audit.append(run.id, notes);
    const patch = `--- a/greet.js\n+++ b/greet.js\n-old\n+${HOSTILE}\n`;
    await w.store.audit.append(run.id, [
      { type: "git.commit", data: { sha: "b".repeat(40), reason: "milestone", patch } },
    ]);
    const page = await browser.newPage();
    await page.goto(`${w.url}/runs/${run.id}`);
    expect(await page.locator("#timeline .event").count()).toBe(1_000);
    expect(await page.locator("#timeline .event").first().getAttribute("data-seq")).toBe("202");
    expect(await textOf(page.locator("#earlier"))).toBe(
      "201 earlier events are in the audit log's download.",
    );
    // The commit's own patch, as text.
    expect(await textOf(page.locator(".checkpoint summary").first())).toContain("its diff");
    expect(await page.locator(".commit-diff .add").allTextContents()).toContain(`+${HOSTILE}`);
    expect(await page.locator("main img").count()).toBe(0);
    await expect.poll(() => textOf(page.locator("#chain"))).toMatch(/^Chain verified: 1201 events/);
    await page.close();

    // The chain check of a log whose event was changed after it was written.
    const events = await w.store.audit.events(run.id);
    const { chainCheck } = await import("../../src/pages/run-sections.ts");
    const tampered = events.map((e) => (e.seq === 7 ? { ...e, data: { n: 700 } } : e));
    expect(chainCheck(tampered).chain).toMatchObject({ status: "bad" });
    expect(chainCheck(tampered).chain.text).toMatch(/^Chain broken at event 7: /);
    const answer = await fetch(`${w.url}/runs/${run.id}/chain`);
    expect(answer.headers.get("content-type")).toContain("application/json");
    expect(((await answer.json()) as { chain: { status: string } }).chain.status).toBe("ok");
  });
});
