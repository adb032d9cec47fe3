// The public shape of the fake GitHub server: its options, its recorded requests and its handle.
import type { HookDeliveryRecord } from "./deliveries.ts";
import type { ManifestApp } from "./manifests.ts";
import type { NewReviewComment, ReviewThreadView, ReviewView } from "./reviews.ts";
import type { CheckRunRecord, TokenRecord } from "./state.ts";
import type { UploadPackRequest } from "./upload-pack.ts";

export type { UploadPackRequest } from "./upload-pack.ts";
export type { NewReviewComment } from "./reviews.ts";

export type Permission = "admin" | "maintain" | "write" | "triage" | "read" | "none";

/** A minted installation token and what it may do: `repositories` as `owner/name`, or "all". */
interface TokenGrant {
  token: string;
  installationId: number;
  repositories: string[] | "all";
  permissions: Record<string, "read" | "write">;
}

type AuthorizationKind = "jwt" | "token" | "basic" | "none";

export interface FakeGitHubOptions {
  appId: number;
  /** Verifies the App JWT (RS256). */
  appPublicKeyPem: string;
  /** Installation token life; default one hour, as on GitHub. */
  tokenTtlMs?: number;
  /** Injected clock for token and JWT expiry and the `Date` header; default `Date.now`. */
  now?: () => number;
}

export interface RecordedRequest {
  method: string;
  /** The raw path as received, e.g. `/api/v3/repos/o/r/contents/.github%2Fstamina.yml`. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body for REST and GraphQL; undefined for git traffic. */
  body: unknown;
  status: number;
  /** Only the kind of credential, never its value. */
  authorization?: AuthorizationKind;
  /** For git-upload-pack: what the client asked for (wants, haves, filter) and the bytes sent. */
  uploadPack?: UploadPackRequest;
}

export interface GraphQLContext {
  installationId: number;
  /** The token of the request: which repositories it reaches and what it may do there. */
  token: TokenRecord;
}

/** Returns the `data` of the response; a throw becomes `{errors}` and a refusal. */
export type GraphQLResolver = (
  variables: Record<string, unknown>,
  query: string,
  context: GraphQLContext,
) => unknown;

interface IssueCommentView {
  id: number;
  body: string;
  user: string;
  updatedCount: number;
}

export interface PullView {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  draft: boolean;
  state: "open" | "closed";
}

/** A check run as a test reads it: the record without its repository and times. */
type CheckRunView = Omit<CheckRunRecord, "repoId" | "startedAt" | "completedAt">;

export interface FakeGitHub {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT, what the app gets as GHE_HOST (with GHE_PROTOCOL=http). */
  host: string;
  /** url + '/api/v3' */
  apiUrl: string;
  /** Every request, in order of arrival (REST, GraphQL and git). */
  requests: RecordedRequest[];
  /** The subset the fake refused: 4xx/5xx refusals, and GraphQL answers carrying `errors`. */
  refusals: RecordedRequest[];
  addInstallation(id: number, account: string): void;
  createRepository(opts: {
    owner: string;
    name: string;
    files: Record<string, string>;
    /**
     * A bare repository to serve a copy of instead of `files` (objects hard-linked, so a large
     * generated history costs nothing to copy); its `defaultBranch` must exist.
     */
    source?: string;
    defaultBranch?: string;
    installationId: number;
  }): Promise<{ barePath: string }>;
  setPermission(owner: string, repo: string, username: string, permission: Permission): void;
  /** The installation's operator grants the `workflows` permission: its pushes may change workflows. */
  grantWorkflows(installationId: number): void;
  /** The app is renamed on GitHub: `GET /app` gives `slug` from now on. */
  renameApp(slug: string): void;
  /** Resolvers registered later win over earlier ones; the matcher is tested against the query text. */
  registerGraphQL(operationMatcher: RegExp, resolver: GraphQLResolver): void;
  issueComments(owner: string, repo: string, issueNumber: number): IssueCommentView[];
  reactions(
    owner: string,
    repo: string,
    issueNumber: number,
  ): Array<{ id: number; content: string }>;
  pulls(owner: string, repo: string): PullView[];
  /**
   * The next `times` requests of `method` on a path matching `path` get this answer instead (a
   * rate limit, a 502), as GitHub gives them when it is busy.
   */
  failNext(
    method: string,
    path: RegExp,
    answer: { status: number; body?: Record<string, unknown>; headers?: Record<string, string> },
    times?: number,
  ): void;
  /**
   * The next `times` requests of `method` on a path matching `path` get no answer: after
   * `afterMs` (default 0) the connection is destroyed, as a reset or a timed-out proxy leaves it.
   */
  dropNext(method: string, path: RegExp, afterMs?: number, times?: number): void;
  /** How many of the answers `failNext` and `dropNext` armed have not been given yet. */
  faultsLeft(): number;
  /** Forgets every answer `failNext`, `dropNext` and `beforeNext` armed and not given yet. */
  clearFaults(): void;
  /**
   * `action` runs when the next request of `method` on a path matching `path` arrives, before it
   * is answered as usual: what a person does on GitHub meanwhile.
   */
  beforeNext(method: string, path: RegExp, action: () => Promise<void>): void;
  /**
   * A ruleset requiring signed commits on every branch: a push (over HTTP) or a ref update that
   * brings a commit GitHub did not sign is refused.
   */
  requireSignatures(owner: string, repo: string): void;
  /** Whether GitHub made and signed this commit (the Git Data API, author and committer left to it). */
  isVerified(sha: string): boolean;
  /** A pull request into `owner/repo` from a branch of the fork `fork` (`owner/name`). */
  openForkPull(
    owner: string,
    repo: string,
    pr: { fork: string; branch: string; title: string },
  ): number;
  /** A comment by a person (not the app), as a webhook's `comment` would name it. */
  addComment(
    owner: string,
    repo: string,
    issueNumber: number,
    comment: { user: string; body: string },
  ): { id: number };
  /** The reactions on one comment, oldest first. */
  commentReactions(owner: string, repo: string, commentId: number): string[];
  /** A review `user` submitted on the pull request: each comment starts a review thread. */
  submitReview(
    owner: string,
    repo: string,
    pullNumber: number,
    review: { user: string; comments: NewReviewComment[] },
  ): ReviewView;
  /** A person's reply in a review thread (by its GraphQL id); the new comment's id. */
  replyInThread(threadId: string, user: string, body: string): number;
  /** `user` edits review comment `commentId` to `body`, as a person does (the edit is kept). */
  editReviewComment(commentId: number, user: string, body: string): void;
  /** The pull request's review threads with their comments, oldest first. */
  reviewThreads(owner: string, repo: string, pullNumber: number): ReviewThreadView[];
  /** Closes the pull request, as a person does on GitHub (the test sends the webhook). */
  closePull(owner: string, repo: string, number: number): void;
  /** Check runs of the repository, oldest first. */
  checkRuns(owner: string, repo: string): CheckRunView[];
  /** The labels on an issue or pull request, or, without a number, the repository's labels. */
  labels(owner: string, repo: string, issueNumber?: number): string[];
  /**
   * A person registering the app from a setup page's manifest: the code GitHub sends them back
   * with, which the page trades (once) for the app's credentials, `pem` as its private key.
   */
  offerManifestCode(pem: string): { code: string } & ManifestApp;
  /**
   * The app's OAuth client (GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET), for sign-in with GitHub
   * through /login/oauth/authorize and /login/oauth/access_token (oauth.ts).
   */
  oauthClient: { id: string; secret: string };
  /** The person signed in to GitHub in the browser, whom authorize sends back with a code; null: nobody. */
  signInAs(login: string | null): void;
  /** Every user token the sign-in handed out, so tests can look for them where they must not be. */
  userTokens(): string[];
  /** Where the app's webhook deliveries go, and the secret they are signed with. */
  setWebhook(target: { url: string; secret: string }): void;
  /**
   * Signs and posts `payload` as a new delivery of `event`, as GitHub does (a fresh guid), and
   * records it with what the app answered.
   */
  deliver(event: string, payload: unknown): Promise<HookDeliveryRecord>;
  /** Every delivery made, oldest first (redeliveries included, `redelivery: true`). */
  hookDeliveries(): HookDeliveryRecord[];
  /** Every installation token handed out, so tests can search logs for them. */
  issuedTokens(): string[];
  /** Every token handed out, in order, with the repositories it reaches and its permissions. */
  tokenGrants(): TokenGrant[];
  close(): Promise<void>;
}
