// What Stamina's handlers read from each payload they handle, checked before they run. GitHub
// always sends these fields; a payload without them was made by something else (a tool posting
// webhooks with the secret, a proxy that rewrote it). Such a delivery is recorded as refused with
// the fields named, instead of failing inside a handler with "Cannot read properties of
// undefined". Only the fields the handlers read are checked; the rest may be anything.
import { z } from "zod";

const text = z.string();
const id = z.number().int();
const sender = z.object({ login: text, id, type: text });
const repository = z.object({
  name: text,
  full_name: text,
  owner: z.object({ login: text }),
  html_url: text,
});
/** Handlers skip a delivery without an installation; one that has it must have its id. */
const installation = z.object({ id }).optional();
const common = { sender, repository, installation };
const label = z.object({ name: text }).optional();
const issue = z.object({
  number: id,
  title: text,
  body: text.nullable().optional(),
  pull_request: z.object({}).optional(),
});
const comment = z.object({ id, body: text, created_at: text });
const pullRequest = z.object({
  number: id,
  title: text,
  head: z.object({ ref: text, repo: z.object({ full_name: text }).nullable() }),
  base: z.object({ repo: z.object({ full_name: text }) }),
});
const named = z.array(z.object({ full_name: text }));

const SHAPES: Record<string, z.ZodType> = {
  "issues.labeled": z.object({ ...common, issue, label }),
  "issues.unlabeled": z.object({ ...common, issue, label }),
  "issue_comment.created": z.object({ ...common, issue, comment }),
  "pull_request.labeled": z.object({ ...common, number: id, pull_request: pullRequest, label }),
  "pull_request.closed": z.object({
    ...common,
    pull_request: pullRequest.extend({ merged: z.boolean().nullable().optional() }),
  }),
  "pull_request_review.submitted": z.object({
    ...common,
    pull_request: pullRequest,
    review: z.object({
      state: text,
      body: text.nullable().optional(),
      submitted_at: text.nullable().optional(),
    }),
  }),
  "pull_request_review_comment.created": z.object({
    ...common,
    pull_request: pullRequest,
    comment,
  }),
  "check_run.rerequested": z.object({
    ...common,
    check_run: z.object({ id, name: text, external_id: text.nullable().optional() }),
  }),
  installation: z.object({
    sender,
    installation: z.object({ id }),
    repositories: z.array(z.object({ full_name: text })).optional(),
  }),
  installation_repositories: z.object({
    sender,
    installation: z.object({ id }),
    repositories_added: named,
    repositories_removed: z.array(z.object({ full_name: text.optional() })),
  }),
};

/**
 * What is missing or wrong in a payload of `event` for the handler that takes it, in words
 * ("issue.number should be a number"); null when the handler has all it reads (or no shape is
 * known for the event).
 */
export function payloadProblem(event: string, payload: unknown): string | null {
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    const handled = Object.keys(SHAPES).some((k) => k === event || k.startsWith(`${event}.`));
    return handled ? "the payload should be an object" : null;
  }
  const action = "action" in payload ? String(payload.action) : "";
  const shape = SHAPES[`${event}.${action}`] ?? SHAPES[event];
  if (shape === undefined) return null;
  const result = shape.safeParse(payload);
  if (result.success) return null;
  const named = result.error.issues.slice(0, 5).map((issue) => {
    const path = issue.path.join(".") || "the payload";
    return `${path} ${expected(issue)}`;
  });
  const more = result.error.issues.length - named.length;
  return `${named.join("; ")}${more > 0 ? `; and ${more} more` : ""}`;
}

function expected(issue: z.core.$ZodIssue): string {
  if (issue.code !== "invalid_type") return `is not valid (${issue.message})`;
  const words: Record<string, string> = {
    string: "text",
    number: "a number",
    int: "a whole number",
    object: "an object",
    array: "a list",
  };
  const want = words[issue.expected];
  return `should be ${want ?? issue.expected}`;
}
