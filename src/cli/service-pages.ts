// The run pages of a `serve` or `all` process, wired: the gate the settings choose (sign-in with
// GitHub when the app's OAuth client is set), the store the worker writes (from this process or
// another), and the audit key's public half, so a signed log's signatures are checked on its page.
import { parsePublicKey } from "../audit/signing.ts";
import type { Logger } from "../observability/logger.ts";
import { choosePageGate } from "../pages/choose-gate.ts";
import type { PageGate } from "../pages/gate.ts";
import { createOAuthGate } from "../pages/oauth-gate.ts";
import { pageRoutes, type PageRoute } from "../pages/routes.ts";
import type { Settings } from "../settings.ts";
import type { Store } from "../store/store.ts";

export function servicePages(deps: {
  settings: Settings;
  store: Store;
  log: Logger;
  /** The sign-in cookies' key is derived from the webhook secret. */
  secrets: { webhookSecret: string };
  /** Each viewer's GitHub token joins it. */
  redactor: { addSecret(secret: string): void };
}): PageRoute {
  const { settings, store, log } = deps;
  const oauth = oauthGate(
    settings,
    {
      webhookSecret: deps.secrets.webhookSecret,
      onToken: (token) => deps.redactor.addSecret(token),
    },
    log,
  );
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

/** Sign-in with GitHub (/runs/auth/...), when the app has its OAuth client. */
function oauthGate(
  settings: Settings,
  secrets: { webhookSecret: string; onToken: (token: string) => void },
  log: Logger,
): PageGate | undefined {
  const client = settings.access.oauthClient;
  if (client === undefined) return undefined;
  return createOAuthGate({
    client,
    github: { webUrl: settings.githubGitUrl, apiUrl: settings.githubApiUrl },
    secret: secrets.webhookSecret,
    publicUrl: settings.access.publicUrl,
    onToken: secrets.onToken,
    log,
  });
}
