// Which gate the run pages stand behind, from the settings: sign-in with GitHub (oauth-gate.ts)
// when the app has its OAuth client; else the local gate (STAMINA_PAGES_LOCAL=true); else none at
// all (the pages say how to turn them on). With sign-in, STAMINA_PAGES_LOCAL is not consulted: a
// viewer is who GitHub says, wherever the request comes from.
import type { Logger } from "../observability/logger.ts";
import type { PageGate } from "./gate.ts";
import { disabledGate, localGate } from "./local-gate.ts";

export interface PageGateDeps {
  log: Logger;
  /** The sign-in gate, when the app's OAuth client is set (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET). */
  oauth?: PageGate;
}

export function choosePageGate(
  settings: { pages: { local: boolean } },
  deps: PageGateDeps,
): PageGate {
  if (deps.oauth !== undefined) {
    deps.log.info(
      "run pages at /runs: sign-in with GitHub; a viewer sees the runs of repositories they can read",
    );
    return deps.oauth;
  }
  if (settings.pages.local) {
    deps.log.info("run pages at /runs: for this machine's browser only (STAMINA_PAGES_LOCAL=true)");
    return localGate();
  }
  deps.log.info(
    "run pages at /runs are off: sign in with GitHub (GITHUB_CLIENT_ID, GITHUB_CLIENT_SECRET) or set STAMINA_PAGES_LOCAL=true to read them from this machine",
  );
  return disabledGate();
}
