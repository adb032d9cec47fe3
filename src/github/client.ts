// Installation-authenticated Octokit clients (REST, with Octokit's retry and
// throttling), one per installation, so app auth can cache each token until
// shortly before it expires.
import { createAppAuth } from "@octokit/auth-app";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import type { Logger } from "../observability/logger.ts";
import { createTokenCache } from "./token-cache.ts";

const StaminaOctokit = Octokit.plugin(retry, throttling);
export type InstallationOctokit = InstanceType<typeof StaminaOctokit>;

export interface GitHubClientOptions {
  appId: number;
  privateKey: string;
  baseUrl: string;
  log: Logger;
  /** Off in tests, where a retried request would hide what the fake answered. */
  retries?: boolean;
  /**
   * Octokit's pacing of writes (GitHub's secondary rate limits); on unless retries are off. A
   * GitHub Enterprise Server without rate limits may turn it off.
   */
  throttle?: boolean;
  /** The clock that decides when an installation token is due for renewal. */
  now?: () => number;
}

export interface GitHubClients {
  forInstallation(installationId: number): InstallationOctokit;
  installationToken(installationId: number): Promise<string>;
}

export function createGitHubClients(options: GitHubClientOptions): GitHubClients {
  const cache = new Map<number, InstallationOctokit>();
  const retries = options.retries ?? true;
  // One cache for every installation's client: tokens are renewed before they expire.
  const tokenCache = createTokenCache(options.now);
  const forInstallation = (installationId: number): InstallationOctokit => {
    let octokit = cache.get(installationId);
    if (!octokit) {
      octokit = new StaminaOctokit({
        baseUrl: options.baseUrl,
        authStrategy: createAppAuth,
        auth: {
          appId: options.appId,
          privateKey: options.privateKey,
          installationId,
          cache: tokenCache,
        },
        userAgent: "stamina",
        log: {
          debug: () => undefined,
          info: () => undefined,
          warn: (msg: string) => options.log.warn({ installationId }, msg),
          error: (msg: string) => options.log.error({ installationId }, msg),
        },
        retry: { enabled: retries },
        throttle: {
          enabled: options.throttle ?? retries,
          onRateLimit: (retryAfter, req, _octokit, retryCount) => {
            options.log.warn({ retryAfter, url: req.url }, "GitHub rate limit hit");
            return retryCount < 3;
          },
          onSecondaryRateLimit: (retryAfter, req, _octokit, retryCount) => {
            options.log.warn({ retryAfter, url: req.url }, "GitHub secondary rate limit hit");
            return retryCount < 3;
          },
        },
      });
      cache.set(installationId, octokit);
    }
    return octokit;
  };
  return {
    forInstallation,
    async installationToken(installationId) {
      const auth = (await forInstallation(installationId).auth({ type: "installation" })) as {
        token: string;
      };
      return auth.token;
    },
  };
}
