// What the fake GitHub's own tests share: a fresh fake per test (app 4242, installation 77 on
// acme/widgets, its clock in the test's hands), a scratch directory, and the real clients that
// talk to it (Octokit with createAppAuth, an installation token, plain fetch).
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppAuth } from "@octokit/auth-app";
import { Octokit } from "@octokit/rest";
import { afterEach, beforeAll, beforeEach } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "./index.ts";
import { loadOpenApi } from "./openapi.ts";

export const APP_ID = 4242;
export const INSTALLATION_ID = 77;
export const OWNER = "acme";
export const REPO = "widgets";

const rsaKeyPair = (): { publicKey: string; privateKey: string } =>
  generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
export const appKeys = rsaKeyPair();
/** A key the fake does not know the app by. */
export const forgerKeys = rsaKeyPair();

export const silentLog = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** What a token request may name: its repositories (by id or name) and its permissions. */
export interface TokenNarrowing {
  repositoryIds?: number[];
  repositoryNames?: string[];
  permissions?: Record<string, "read" | "write">;
}

export interface FakeGitHubFixture {
  /** This test's fake GitHub. */
  gh: FakeGitHub;
  /** The bare repository behind acme/widgets (README.md and .github/stamina.yml). */
  barePath: string;
  /** A directory of this test's own, removed after it. */
  scratch: string;
  /** Moves the fake's clock (token expiry) on by `ms`. */
  tick: (ms: number) => void;
  /** Octokit as the app's installation, signing its JWTs with `privateKey`. */
  appOctokit: (privateKey?: string) => Octokit;
  /** An installation token minted through createAppAuth, narrowed as asked (else the widest). */
  installationToken: (narrowing?: TokenNarrowing) => Promise<string>;
  /** A plain request to the REST API, with `token` as the installation's. */
  api: (path: string, init?: RequestInit & { token?: string }) => Promise<Response>;
}

/** Registers the hooks that start a fake GitHub before each test of the file and stop it after. */
export function fakeGitHubPerTest(): FakeGitHubFixture {
  let clock = 0;
  let current: { gh: FakeGitHub; barePath: string; scratch: string } | undefined;
  const started = () => {
    if (!current) throw new Error("the fake GitHub runs only inside a test");
    return current;
  };

  beforeAll(async () => {
    // The description loads once per process; pay for it outside the first test's time.
    await loadOpenApi();
  });
  beforeEach(async () => {
    clock = Date.now();
    const gh = await startFakeGitHub({
      appId: APP_ID,
      appPublicKeyPem: appKeys.publicKey,
      now: () => clock,
    });
    gh.addInstallation(INSTALLATION_ID, OWNER);
    const { barePath } = await gh.createRepository({
      owner: OWNER,
      name: REPO,
      installationId: INSTALLATION_ID,
      files: { "README.md": "# widgets\n", ".github/stamina.yml": "label: stamina\n" },
    });
    current = { gh, barePath, scratch: await mkdtemp(join(tmpdir(), "fake-github-test-")) };
  });
  afterEach(async () => {
    const { gh, scratch } = started();
    current = undefined;
    await gh.close();
    await rm(scratch, { recursive: true, force: true });
  });

  return {
    get gh() {
      return started().gh;
    },
    get barePath() {
      return started().barePath;
    },
    get scratch() {
      return started().scratch;
    },
    tick: (ms) => {
      clock += ms;
    },
    appOctokit: (privateKey = appKeys.privateKey) =>
      new Octokit({
        authStrategy: createAppAuth,
        auth: { appId: APP_ID, privateKey, installationId: INSTALLATION_ID },
        baseUrl: started().gh.apiUrl,
        log: silentLog,
      }),
    installationToken: async (narrowing = {}) => {
      const auth = createAppAuth({
        appId: APP_ID,
        privateKey: appKeys.privateKey,
        installationId: INSTALLATION_ID,
        request: new Octokit({ baseUrl: started().gh.apiUrl, log: silentLog }).request,
      });
      const { token } = await auth({ type: "installation", ...narrowing });
      return token;
    },
    api: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (init.token) headers.set("authorization", `token ${init.token}`);
      if (init.body) headers.set("content-type", "application/json");
      return fetch(`${started().gh.apiUrl}${path}`, { ...init, headers });
    },
  };
}

/** The HTTP status an Octokit call failed with. */
export function statusOf(error: unknown): number | undefined {
  return typeof error === "object" &&
    error !== null &&
    "status" in error &&
    typeof error.status === "number"
    ? error.status
    : undefined;
}
