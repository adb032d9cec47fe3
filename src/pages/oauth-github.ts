// The three things the run pages ask GitHub for a viewer: trade the sign-in's code for the
// viewer's token (POST /login/oauth/access_token on the web host), who the token belongs to
// (GET /user) and whether they may read a repository (GET /repos/{owner}/{repo} with their
// token: 200 yes; 404, 403 or 401 no, as GitHub hides what a person cannot see). On GitHub
// Enterprise Server the web host is GHE_PROTOCOL://GHE_HOST and the API is under /api/v3.

export interface GitHubSite {
  /** https://github.com, or http(s)://GHE_HOST: where /login/oauth/... lives. */
  webUrl: string;
  /** https://api.github.com, or http(s)://GHE_HOST/api/v3. */
  apiUrl: string;
}

/** GitHub could not be asked, or answered what the sign-in cannot use; the message says which. */
export class GitHubAccessError extends Error {
  override name = "GitHubAccessError";
}

const TIMEOUT_MS = 10_000;

async function ask(url: string, init: RequestInit, what: string): Promise<Response> {
  try {
    return await fetch(url, {
      ...init,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "error",
    });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new GitHubAccessError(`GitHub could not be reached to ${what} (${why})`, {
      cause: error,
    });
  }
}

const apiHeaders = (token: string) => ({
  accept: "application/vnd.github+json",
  authorization: `Bearer ${token}`,
  "user-agent": "stamina",
  "x-github-api-version": "2022-11-28",
});

export interface UserToken {
  token: string;
  /** Seconds the token lives, when GitHub says (expiring user tokens: 8 hours). */
  expiresIn: number | undefined;
}

/** The viewer's token for the code GitHub sent them back with; GitHub's refusal in words. */
export async function tradeCode(
  site: GitHubSite,
  client: { id: string; secret: string },
  code: string,
  redirectUri: string | undefined,
): Promise<UserToken> {
  const response = await ask(
    `${site.webUrl}/login/oauth/access_token`,
    {
      method: "POST",
      headers: {
        accept: "application/json",
        "content-type": "application/json",
        "user-agent": "stamina",
      },
      body: JSON.stringify({
        client_id: client.id,
        client_secret: client.secret,
        code,
        ...(redirectUri === undefined ? {} : { redirect_uri: redirectUri }),
      }),
    },
    "finish the sign-in",
  );
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  const token = body?.access_token;
  if (response.ok && typeof token === "string" && token !== "") {
    const expiresIn = body?.expires_in;
    return { token, expiresIn: typeof expiresIn === "number" ? expiresIn : undefined };
  }
  // GitHub answers a bad code with 200 and an `error`, and its words in `error_description`.
  const error = typeof body?.error === "string" ? body.error : `HTTP ${response.status}`;
  const description =
    typeof body?.error_description === "string" ? `: ${body.error_description}` : "";
  throw new GitHubAccessError(`GitHub refused the sign-in (${error}${description})`);
}

/** The login of the token's user. */
export async function userOf(site: GitHubSite, token: string): Promise<string> {
  const response = await ask(
    `${site.apiUrl}/user`,
    { headers: apiHeaders(token) },
    "say who you are",
  );
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok || typeof body?.login !== "string") {
    throw new GitHubAccessError(
      `GitHub did not say who signed in (GET /user: HTTP ${response.status})`,
    );
  }
  return body.login;
}

const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * Whether the token's user may read `repository` ("owner/name"). A name GitHub could not have is
 * no without asking; an answer other than yes or no (a 5xx) throws, so it is not taken for a no.
 */
export async function mayReadRepository(
  site: GitHubSite,
  token: string,
  repository: string,
): Promise<boolean> {
  if (!REPOSITORY.test(repository) || repository.includes("..")) return false;
  const [owner = "", name = ""] = repository.split("/");
  const url = `${site.apiUrl}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
  const response = await ask(url, { headers: apiHeaders(token) }, `check access to ${repository}`);
  await response.body?.cancel();
  if (response.status === 200) return true;
  if ([401, 403, 404].includes(response.status)) return false;
  throw new GitHubAccessError(
    `GitHub did not answer whether you may read ${repository} (HTTP ${response.status}); try again`,
  );
}
