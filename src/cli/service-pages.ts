// The run pages of a `serve` or `all` process, wired: the gate the settings choose, the store
// the worker writes (from this process or another), and the audit key's public half, so a
// signed log's signatures are checked on its page.
import { parsePublicKey } from "../audit/signing.ts";
import type { Logger } from "../observability/logger.ts";
import { choosePageGate } from "../pages/choose-gate.ts";
import type { PageGate } from "../pages/gate.ts";
import { pageRoutes, type PageRoute } from "../pages/routes.ts";
import type { Settings } from "../settings.ts";
import type { Store } from "../store/store.ts";

export function servicePages(
  settings: Settings,
  store: Store,
  log: Logger,
  oauth?: PageGate,
): PageRoute {
  const gate = choosePageGate(settings, { log, ...(oauth ? { oauth } : {}) });
  const publicKey = settings.auditKey?.signer.publicKey;
  return pageRoutes({
    store,
    gate,
    log,
    now: () => Date.now(),
    ...(publicKey === undefined ? {} : { auditKey: parsePublicKey(publicKey) }),
  });
}
