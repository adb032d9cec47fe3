// Installation-authenticated Octokit clients (REST, with Octokit's retry and throttling). Every
// call goes through `forRepository`: it gets a token that names that one repository and only the
// permission the call needs (`route-permissions.ts`), and git gets one that may only read and
// write contents there, so a leaked token reaches one repository and does one thing. App auth
// caches each narrowed token (by installation, repositories and permissions) until shortly
// before it expires.
import type { Metrics } from "../observability/metrics.ts";
import { createAppAuth } from "@octokit/auth-app";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import type { Logger } from "../observability/logger.ts";
import { type Permissions, permissionsFor } from "./route-permissions.ts";
import { createAppSlug } from "./app-slug.ts";
import { createTokenCache } from "./token-cache.ts";
import { steadyThrottleGroups } from "./steady-throttle.ts";
import type { RepoRef } from "./types.ts";

const StaminaOctokit = Octokit.plugin(retry, throttling);
export type InstallationOctokit = InstanceType<typeof StaminaOctokit>;

/** How long the installation's granted permissions (is `workflows` among them?) are trusted. */
const GRANTS_TTL_MS = 5 * 60_000;

export interface GitHubClientOptions {
  /** The process's metrics: GitHub's error answers (404s aside) and the calls sent again. */
  metrics?: Pick<Metrics, "githubError" | "githubRetry">;
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
  /** Called once with every installation token the clients mint (the redactor's `addSecret`). */
  onToken?: (token: string) => void;
}

export interface GitHubClients {
  /**
   * A client for one repository: every call is sent with a token for that repository alone,
   * holding only the permission the call needs; a call no permission is declared for throws.
   */
  forRepository(ref: RepoRef): InstallationOctokit;
  /**
   * The token git uses for the repository: that repository alone, `contents: write` (and
   * `workflows: write` where the installation granted it), never issues or pull requests.
   */
  gitToken(ref: RepoRef): Promise<string>;
  /**
   * A request as the app itself, signed with its JWT, for the `/app` routes (its webhook
   * deliveries), with retry and throttling as every other call.
   */
  appRequest: InstallationOctokit["request"];
  /** The app's slug (`GET /app`, kept an hour): what people mention it by, `@slug`. */
  appSlug(): Promise<string>;
}

interface Narrowing {
  repositoryIds?: number[];
  repositoryNames?: string[];
  permissions: Permissions;
}

/** How Octokit's request log says a request was answered 404: `GET /path - 404 with id …`. */
const NOT_FOUND = /^[A-Z]+ \S+ - 404 with id /;
/** The status of an answered request in Octokit's request log. */
const ANSWERED = /^[A-Z]+ \S+ - (\d{3}) with id /;

/** Every client of this process shares them, as it would the plugin's own (steady-throttle.ts). */
const THROTTLE_GROUPS = steadyThrottleGroups();

/** What the throttling does when GitHub limits a request: says so, and waits up to 3 times. */
function rateLimited(options: GitHubClientOptions, message: string) {
  return (retryAfter: number, req: { url: string }, _o: unknown, retryCount: number): boolean => {
    options.log.warn({ retryAfter, url: req.url }, message);
    if (retryCount < 3) options.metrics?.githubRetry();
    return retryCount < 3;
  };
}

/** The Git Data API's writes (blobs, trees, commits, refs), which get git's permissions. */
const GIT_DATA_WRITE = /^(?:POST|PATCH) \/repos\/\{owner\}\/\{repo\}\/git\//;

const repoKey = (ref: RepoRef): string =>
  `${ref.installationId}/${ref.owner}/${ref.repo}`.toLowerCase();

export function createGitHubClients(options: GitHubClientOptions): GitHubClients {
  const now = options.now ?? Date.now;
  const retries = options.retries ?? true;
  // One cache for every token: renewed before it expires, keyed by what the token may do.
  const tokenCache = createTokenCache(now);
  const bare = new Octokit({ baseUrl: options.baseUrl, userAgent: "stamina", log: quiet() });
  // The app itself: its JWT on /app routes (auth-app's hook corrects a skewed clock there), and
  // the installation tokens it mints, narrowed.
  const app = new Octokit({
    baseUrl: options.baseUrl,
    userAgent: "stamina",
    log: quiet(),
    authStrategy: createAppAuth,
    auth: { appId: options.appId, privateKey: options.privateKey, cache: tokenCache },
  });
  // When this process first saw each token (monotonic ms): a fresh one may meet a 401 (below).
  const seen = new Map<string, number>();
  const mint = async (installationId: number, narrowing: Narrowing): Promise<string> => {
    const { token } = (await app.auth({
      type: "installation",
      installationId,
      ...narrowing,
      // auth-app sorts the ids in place for its cache key.
      ...(narrowing.repositoryIds ? { repositoryIds: [...narrowing.repositoryIds] } : {}),
    })) as { token: string };
    if (!seen.has(token)) {
      seen.set(token, performance.now());
      options.onToken?.(token);
    }
    return token;
  };

  const octokitOptions = (installationId: number) => ({
    baseUrl: options.baseUrl,
    userAgent: "stamina",
    log: {
      debug: () => undefined,
      info: () => undefined,
      warn: (msg: string) => options.log.warn({ installationId }, msg),
      // A 404 is an answer its caller expects and handles (no AGENTS.md, no such label yet);
      // a caller that did not expect one says so in its own words. Not an error to alert on.
      error: (msg: string) => {
        if (NOT_FOUND.test(msg)) return options.log.debug({ installationId }, msg);
        const status = ANSWERED.exec(msg)?.[1];
        options.metrics?.githubError(status === undefined ? undefined : Number(status));
        options.log.error({ installationId }, msg);
      },
    },
    retry: { enabled: retries },
    throttle: {
      enabled: options.throttle ?? retries,
      ...THROTTLE_GROUPS,
      onRateLimit: rateLimited(options, "GitHub rate limit hit"),
      onSecondaryRateLimit: rateLimited(options, "GitHub secondary rate limit hit"),
    },
  });

  const appClient = new StaminaOctokit({
    ...octokitOptions(0),
    authStrategy: createAppAuth,
    auth: { appId: options.appId, privateKey: options.privateKey, cache: tokenCache },
  });

  const ids = createRepositoryIds(bare, mint);
  const workflows = createWorkflowGrants(app, now);

  const repositories = new Map<string, InstallationOctokit>();
  const forRepository = (ref: RepoRef): InstallationOctokit => {
    const key = repoKey(ref);
    let octokit = repositories.get(key);
    if (!octokit) {
      octokit = new StaminaOctokit(octokitOptions(ref.installationId));
      octokit.hook.wrap("request", async (send, request) => {
        const params = request as { owner?: unknown; repo?: unknown; query?: unknown };
        const other =
          [params.owner, params.repo].some((v) => typeof v === "string") &&
          `${String(params.owner)}/${String(params.repo)}`.toLowerCase() !==
            `${ref.owner}/${ref.repo}`.toLowerCase();
        if (other) {
          throw new Error(
            `the client of ${ref.owner}/${ref.repo} was asked to call ${String(params.owner)}/${String(params.repo)}`,
          );
        }
        const permissions = await withWorkflows(request, params.query, () =>
          workflows.granted(ref.installationId),
        );
        const id = await ids.of(ref);
        const token = await mint(ref.installationId, { repositoryIds: [id], permissions });
        request.headers.authorization = `token ${token}`;
        return sendAcceptingFreshToken(async () => send(request), seen.get(token) ?? 0);
      });
      repositories.set(key, octokit);
    }
    return octokit;
  };

  return {
    forRepository,
    appRequest: appClient.request,
    appSlug: createAppSlug(appClient.request, now),
    async gitToken(ref) {
      const id = await ids.of(ref);
      const permissions: Permissions = { contents: "write" };
      if (await workflows.granted(ref.installationId)) permissions.workflows = "write";
      return mint(ref.installationId, { repositoryIds: [id], permissions });
    },
  };
}

type Mint = (installationId: number, narrowing: Narrowing) => Promise<string>;

/**
 * What a request needs (route-permissions.ts); a Git Data API write also gets `workflows` where
 * the installation granted it, since a commit made through it may change workflow files, as a
 * push may.
 */
async function withWorkflows(
  request: { method: string; url: string },
  query: unknown,
  granted: () => Promise<boolean>,
): Promise<Permissions> {
  const permissions = permissionsFor(request.method, request.url, query);
  if (!GIT_DATA_WRITE.test(`${request.method} ${request.url}`) || !(await granted())) {
    return permissions;
  }
  return { ...permissions, workflows: "write" };
}

/** How long after it is minted GitHub may still answer a new token with 401, as auth-app allows. */
const FRESH_TOKEN_MS = 5_000;
const FRESH_RETRY_MS = 500;

/**
 * Sends a request, and again while GitHub answers 401 to a token minted less than five seconds
 * ago: a new token can take a moment to reach every GitHub server. auth-app's own hook does the
 * same for the tokens it sends; narrowed tokens are sent by this client's hook instead.
 */
async function sendAcceptingFreshToken<T>(send: () => Promise<T>, mintedAt: number): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      const fresh = performance.now() - mintedAt < FRESH_TOKEN_MS;
      if (status !== 401 || !fresh) throw error;
      await new Promise((resolve) => setTimeout(resolve, FRESH_RETRY_MS * attempt));
    }
  }
}

/**
 * Each repository's id, looked up once with a token that may only read its metadata. Tokens
 * name the repository by id from then on, so one renamed while the process runs keeps its
 * tokens.
 */
function createRepositoryIds(bare: Octokit, mint: Mint): { of(ref: RepoRef): Promise<number> } {
  const known = new Map<string, Promise<number>>();
  const lookUp = async (ref: RepoRef): Promise<number> => {
    const token = await mint(ref.installationId, {
      repositoryNames: [ref.repo],
      permissions: { metadata: "read" },
    });
    const { data } = await bare.request("GET /repos/{owner}/{repo}", {
      owner: ref.owner,
      repo: ref.repo,
      headers: { authorization: `token ${token}` },
    });
    return Number(data.id);
  };
  return {
    of(ref) {
      const key = repoKey(ref);
      let id = known.get(key);
      if (!id) {
        id = lookUp(ref);
        // A failed look-up is asked again next time, not remembered.
        id.catch(() => known.delete(key));
        known.set(key, id);
      }
      return id;
    },
  };
}

/**
 * Whether an installation granted the `workflows` permission, which the app does not ask for
 * (app.yml) but an operator may grant; asked of GitHub with the app's JWT, kept a few minutes.
 */
function createWorkflowGrants(
  app: Octokit,
  now: () => number,
): { granted(installationId: number): Promise<boolean> } {
  const known = new Map<number, { granted: boolean; until: number }>();
  return {
    async granted(installationId) {
      const cached = known.get(installationId);
      if (cached && now() < cached.until) return cached.granted;
      const { data } = await app.request("GET /app/installations/{installation_id}", {
        installation_id: installationId,
      });
      const granted = data.permissions.workflows === "write";
      known.set(installationId, { granted, until: now() + GRANTS_TTL_MS });
      return granted;
    },
  };
}

function quiet() {
  return {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
}
