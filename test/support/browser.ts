// Headless Chromium for the run pages' tests: Debian's chromium (`.ci/run` installs it),
// driven by playwright-core, which downloads no browser of its own.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { machineNeed } from "./machine.ts";

const CHROMIUM = "/usr/bin/chromium";

/** The browser tests' need: skipped with the reason outside CI, failing in it. */
export const browserNeed = machineNeed(
  existsSync(CHROMIUM)
    ? null
    : `chromium is not installed at ${CHROMIUM} (apt-get install -y chromium)`,
);

export function launchBrowser(): Promise<Browser> {
  browserNeed.ensure();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}
