// Which gate the run pages stand behind, from the settings: today the local gate
// (STAMINA_PAGES_LOCAL=true) or none at all (the pages say how to turn them on). GitHub sign-in
// (oauth-gate.ts) joins here, ahead of the local gate, when its settings are present.
import type { Logger } from "../observability/logger.ts";
import type { PageGate } from "./gate.ts";
import { disabledGate, localGate } from "./local-gate.ts";

export interface PageGateDeps {
  log: Logger;
}

export function choosePageGate(
  settings: { pages: { local: boolean } },
  deps: PageGateDeps,
): PageGate {
  if (settings.pages.local) {
    deps.log.info("run pages at /runs: for this machine's browser only (STAMINA_PAGES_LOCAL=true)");
    return localGate();
  }
  deps.log.info(
    "run pages at /runs are off: set STAMINA_PAGES_LOCAL=true to read them from this machine",
  );
  return disabledGate();
}
