// Real webhook payloads from @octokit/webhooks-examples, and a helper that
// signs and posts them the way GitHub does.
import { randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import { sign } from "@octokit/webhooks-methods";

interface ExampleGroup {
  name: string;
  examples: Array<Record<string, unknown> & { action?: string }>;
}

const require = createRequire(import.meta.url);
const examples = require("@octokit/webhooks-examples/api.github.com/index.json") as ExampleGroup[];

/** A deep copy of GitHub's example payload for `event`.`action`, with an installation added. */
export function examplePayload<T = Record<string, unknown>>(
  event: string,
  action: string,
  overrides: { installationId?: number } = {},
): T {
  const group = examples.find((g) => g.name === event);
  const example = group?.examples.find((e) => e.action === action);
  if (!example) throw new Error(`no example payload for ${event}.${action}`);
  const payload = structuredClone(example);
  payload.installation = { id: overrides.installationId ?? 1, node_id: "MDIzOkludGVncmF0aW9uMQ==" };
  return payload as T;
}

/** The fields of `issues.labeled` that the tests and benchmarks set. */
export interface LabeledIssuePayload {
  issue: { number: number; title: string; body: string };
  label: { name: string };
  sender: { login: string; id: number };
  repository: { name: string; full_name: string; owner: { login: string } };
}

/** GitHub's example `issues.labeled`, moved to `owner/repo` and issue `issue`, labelled `stamina` by `maintainer`. */
export function labeledIssuePayload(options: {
  owner: string;
  repo: string;
  issue: number;
  title: string;
  body?: string;
  installationId?: number;
}): LabeledIssuePayload {
  const payload = examplePayload<LabeledIssuePayload>("issues", "labeled", {
    installationId: options.installationId,
  });
  payload.repository.owner.login = options.owner;
  payload.repository.name = options.repo;
  payload.repository.full_name = `${options.owner}/${options.repo}`;
  payload.issue.number = options.issue;
  payload.issue.title = options.title;
  if (options.body !== undefined) payload.issue.body = options.body;
  payload.label.name = "stamina";
  payload.sender.login = "maintainer";
  return payload;
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
