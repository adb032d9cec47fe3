// The screenshots of the run pages in the README (docs/pages/*.png), taken in headless Chromium
// from the same store and recorded run as the pages' browser tests (test/pages/fixture.ts):
//   node --import tsx scripts/pages-screenshots.ts
import { launchBrowser } from "../test/support/browser.ts";
import { recordedRun, startPages, stopped } from "../test/pages/fixture.ts";

const w = await startPages();
for (let i = 1; i <= 8; i++) {
  const run = await w.queue(i % 3 === 0 ? "octo-org/other" : "octo-org/greeter", i);
  await w.store.audit.append(run.id, recordedRun(`step output of issue ${i}`).slice(0, 10 + i * 4));
  if (i % 4 === 0) {
    await w.store.runs.update(run.id, { agentOutcome: stopped("out_of_budget") });
    await w.store.runs.finish(run.id, "out_of_budget", "the step budget ran out");
  }
}
const run = await w.queue("octo-org/greeter", 42, "Greeting lacks punctuation");
await w.store.audit.append(run.id, recordedRun("printf 'greets politely\\n' > NOTES.md"));
await w.store.runs.update(run.id, { agentOutcome: stopped("completed") });
await w.store.runs.finish(run.id, "succeeded", "opened a pull request");

const browser = await launchBrowser();
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
await page.goto(`${w.url}/runs`);
await page.screenshot({ path: "docs/pages/runs-list.png", fullPage: true });
await page.goto(`${w.url}/runs/${run.id}`);
await page.locator(".plot .uplot").first().waitFor();
await page.screenshot({ path: "docs/pages/run-page.png", fullPage: false });
await browser.close();
await w.close();
