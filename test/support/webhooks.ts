// Real webhook payloads from @octokit/webhooks-examples, moved onto a test's
// repository (a labelled issue, a comment, a pull request's events), and a
// helper that signs and posts them the way GitHub does.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { sign } from "@octokit/webhooks-methods";

interface ExampleGroup {
  name: string;
  examples: Array<Record<string, unknown> & { action?: string }>;
}

const require = createRequire(import.meta.url);
/** Every example GitHub publishes, by event. */
export const examples =
  require("@octokit/webhooks-examples/api.github.com/index.json") as ExampleGroup[];

/**
 * A deep copy of GitHub's example payload for `event`.`action`, with an installation added and
 * dated now (or `at`, ms): the times the app judges a delivery's age by (a comment's
 * `created_at`, a review's `submitted_at`, an issue's `updated_at`) say when it happened.
 */
export function examplePayload<T = Record<string, unknown>>(
  event: string,
  action: string,
  overrides: { installationId?: number; at?: number } = {},
): T {
  const group = examples.find((g) => g.name === event);
  const example = group?.examples.find((e) => e.action === action);
  if (!example) throw new Error(`no example payload for ${event}.${action}`);
  const payload = structuredClone(example);
  payload.installation = { id: overrides.installationId ?? 1, node_id: "MDIzOkludGVncmF0aW9uMQ==" };
  datePayload(payload, overrides.at ?? Date.now());
  // Each comment and review is a new one, as on GitHub: the app acts once per comment id.
  for (const name of ["comment", "review"]) {
    const item = payload[name] as Record<string, unknown> | undefined;
    if (item) item.id = nextId++;
  }
  return payload as T;
}

let nextId = 700_000_001;

/** Sets the times of a payload's comment, review, issue and pull request to `at` (ms). */
function datePayload(payload: Record<string, unknown>, at: number): void {
  // GitHub's times are to the second; milliseconds here keep two labels in one second apart.
  const iso = new Date(at).toISOString();
  const part = (name: string) => payload[name] as Record<string, unknown> | undefined;
  for (const name of ["comment", "issue", "pull_request"]) {
    const item = part(name);
    if (!item) continue;
    if (name === "comment") item.created_at = iso;
    item.updated_at = iso;
  }
  const review = part("review");
  if (review) review.submitted_at = iso;
}

/** The fields of `issues.labeled` that the tests and benchmarks set. */
export interface LabeledIssuePayload {
  issue: { number: number; title: string; body: string };
  label: { name: string };
  sender: { login: string; id: number };
  repository: PayloadRepository;
}

/** GitHub's example `issues.labeled`, moved to `owner/repo` and issue `issue`, labelled `stamina` by `maintainer`. */
export function labeledIssuePayload(options: {
  owner: string;
  repo: string;
  issue: number;
  title: string;
  body?: string;
  installationId?: number;
  at?: number;
}): LabeledIssuePayload {
  const payload = examplePayload<LabeledIssuePayload>("issues", "labeled", {
    installationId: options.installationId,
    at: options.at,
  });
  moveRepository(payload, options);
  payload.issue.number = options.issue;
  payload.issue.title = options.title;
  if (options.body !== undefined) payload.issue.body = options.body;
  payload.label.name = "stamina";
  payload.sender.login = "maintainer";
  return payload;
}

/** A GitHub account as a payload names it; `id` and `type` stay the example's unless given. */
export interface Account {
  login: string;
  id?: number;
  type?: "User" | "Bot";
}

/** The account fields of a payload (`sender`, a comment's `user`) that the app reads. */
interface PayloadAccount {
  login: string;
  id: number;
  type: string;
}

/** The repository fields of a payload that the app reads. */
interface PayloadRepository {
  name: string;
  full_name: string;
  html_url: string;
  url: string;
  owner: { login: string };
}

/**
 * Where a payload is moved to; unset fields keep the example's (Codertocat/Hello-World on
 * github.com, installation 1). `github`: the GitHub it comes from (a fake GitHub's addresses),
 * for the links in it.
 */
export interface PayloadPlace {
  owner?: string;
  repo?: string;
  installationId?: number;
  github?: { url: string; apiUrl: string };
  /** When it happened (ms); now unless given. */
  at?: number;
}

/** The fields of `issue_comment.created` that the app reads, as issueCommentPayload sets them. */
export interface IssueCommentPayload {
  issue: { number: number; title: string; pull_request?: { url: string; html_url: string } };
  comment: { id: number; body: string; user: PayloadAccount };
  sender: PayloadAccount;
  repository: PayloadRepository;
  installation: { id: number };
}

/**
 * GitHub's example `issue_comment.created`: `author` wrote `body` (comment `commentId`) on issue
 * `number` of the repository, or on pull request `number` with `pullRequest`. Unset fields keep
 * the example's: issue 1 by Codertocat (the comment's id is a new one unless given).
 */
export function issueCommentPayload(
  options: PayloadPlace & {
    body: string;
    number?: number;
    pullRequest?: boolean;
    author?: string | Account;
    commentId?: number;
  },
): IssueCommentPayload {
  const payload = examplePayload<IssueCommentPayload>("issue_comment", "created", options);
  const repository = moveRepository(payload, options);
  if (options.number !== undefined) payload.issue.number = options.number;
  if (options.pullRequest) {
    const number = payload.issue.number;
    payload.issue.pull_request = {
      url: `${repository.url}/pulls/${number}`,
      html_url: `${repository.html_url}/pull/${number}`,
    };
  }
  if (options.commentId !== undefined) payload.comment.id = options.commentId;
  payload.comment.body = options.body;
  if (options.author !== undefined) {
    payload.sender = asAccount(payload.sender, options.author);
    payload.comment.user = asAccount(payload.comment.user, options.author);
  }
  return payload;
}

/** The fields of a pull request's events that the app reads, as pullRequestPayload sets them. */
export interface PullRequestEventPayload {
  pull_request: { number: number; title: string; merged?: boolean | null };
  sender: PayloadAccount;
  repository: PayloadRepository;
  installation: { id: number };
}

/**
 * GitHub's example payload of a pull request's `event`.`action` (`pull_request.closed`,
 * `pull_request_review.submitted`, ...), sent by `sender` about pull request `pull` of the
 * repository; the title stays the example's unless given.
 */
export function pullRequestPayload<T extends PullRequestEventPayload = PullRequestEventPayload>(
  event: string,
  action: string,
  options: PayloadPlace & { pull: number; title?: string; sender: string | Account },
): T {
  const payload = examplePayload<T>(event, action, options);
  moveRepository(payload, options);
  payload.pull_request.number = options.pull;
  if (options.title !== undefined) payload.pull_request.title = options.title;
  payload.sender = asAccount(payload.sender, options.sender);
  return payload;
}

/** The fields of `pull_request_review_comment.created` that the app reads. */
export interface ReviewCommentPayload extends PullRequestEventPayload {
  comment: { id: number; body: string; user: PayloadAccount };
}

/**
 * GitHub's example `pull_request_review_comment.created`: `author`'s comment `commentId` (in a
 * review thread, on a line) on pull request `pull`; the body stays the example's unless given.
 */
export function reviewCommentPayload(
  options: PayloadPlace & {
    pull: number;
    title?: string;
    author: string | Account;
    commentId: number;
    body?: string;
  },
): ReviewCommentPayload {
  const payload = pullRequestPayload<ReviewCommentPayload>(
    "pull_request_review_comment",
    "created",
    { ...options, sender: options.author },
  );
  payload.comment.id = options.commentId;
  if (options.body !== undefined) payload.comment.body = options.body;
  payload.comment.user = asAccount(payload.comment.user, options.author);
  return payload;
}

/** The fields of `check_run.rerequested` that the app reads. */
export interface CheckRunPayload {
  check_run: { id: number; name: string; external_id: string; head_sha: string };
  sender: PayloadAccount;
  repository: PayloadRepository;
  installation: { id: number };
}

/**
 * GitHub's example `check_run.rerequested`: `sender` pressed "Re-run" on check run `check` of the
 * repository. Unset fields of the check keep the example's (another app's check, "randscape").
 */
export function checkRunRerequestedPayload(
  options: PayloadPlace & {
    check: { id?: number; name?: string; externalId?: string; headSha?: string };
    sender: string | Account;
  },
): CheckRunPayload {
  const payload = examplePayload<CheckRunPayload>("check_run", "rerequested", options);
  moveRepository(payload, options);
  const { check } = options;
  const run = payload.check_run;
  if (check.id !== undefined) run.id = check.id;
  if (check.name !== undefined) run.name = check.name;
  if (check.externalId !== undefined) run.external_id = check.externalId;
  if (check.headSha !== undefined) run.head_sha = check.headSha;
  payload.sender = asAccount(payload.sender, options.sender);
  return payload;
}

function moveRepository(
  payload: { repository: PayloadRepository },
  place: PayloadPlace,
): PayloadRepository {
  const { repository } = payload;
  const owner = place.owner ?? repository.owner.login;
  const name = place.repo ?? repository.name;
  repository.owner.login = owner;
  repository.name = name;
  repository.full_name = `${owner}/${name}`;
  repository.html_url = `${place.github?.url ?? "https://github.com"}/${owner}/${name}`;
  repository.url = `${place.github?.apiUrl ?? "https://api.github.com"}/repos/${owner}/${name}`;
  return repository;
}

function asAccount(example: PayloadAccount, who: string | Account): PayloadAccount {
  const account = typeof who === "string" ? { login: who } : who;
  return {
    ...example,
    login: account.login,
    id: account.id ?? example.id,
    type: account.type ?? example.type,
  };
}

export interface PostedWebhook {
  status: number;
  body: string;
  deliveryId: string;
}

export async function postWebhook(options: {
  url: string;
  secret: string;
  event: string;
  payload: unknown;
  deliveryId?: string;
  /** Sign with this secret instead (a forgery). */
  signWith?: string;
}): Promise<PostedWebhook> {
  const body = JSON.stringify(options.payload);
  const deliveryId = options.deliveryId ?? randomUUID();
  const response = await fetch(options.url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": options.event,
      "x-github-delivery": deliveryId,
      "x-hub-signature-256": await sign(options.signWith ?? options.secret, body),
      "user-agent": "GitHub-Hookshot/test",
    },
    body,
  });
  return { status: response.status, body: await response.text(), deliveryId };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
