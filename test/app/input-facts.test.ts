// What a delivery is about and when it happened, read from GitHub's own example payloads of every
// event Stamina acts on: comments and reviews keyed by their ids, labels by the item and its time.
import { describe, expect, it } from "vitest";
import { ageOf, inputFacts } from "../../src/app/input-facts.ts";
import { examplePayload } from "../support/webhooks.ts";

const AT = Date.parse("2026-12-01T10:00:00Z");
const facts = (event: string, action: string) => {
  const payload = examplePayload(event, action, { at: AT });
  return { payload, facts: inputFacts(event, action, payload) };
};

describe("input facts", () => {
  it("key a comment, a review comment and a review by their ids, aged by their own times", () => {
    for (const [event, action, field, part] of [
      ["issue_comment", "created", "comment.created_at", "comment"],
      ["pull_request_review_comment", "created", "comment.created_at", "comment"],
      ["pull_request_review", "submitted", "review.submitted_at", "review"],
    ] as const) {
      const { payload, facts: f } = facts(event, action);
      const id = (payload[part] as { id: number }).id;
      expect(f).toEqual({ key: `${event}.${action}:${id}`, at: new Date(AT).toISOString(), field });
      expect(ageOf(f, AT + 90_000)).toBe(90_000);
    }
  });

  it("key a label by the item, the label, the sender and the item's time: a second label is a second act", () => {
    const { facts: first } = facts("issues", "labeled");
    expect(first.field).toBe("issue.updated_at");
    expect(first.key).toMatch(
      /^issues\.labeled:Codertocat\/Hello-World#\d+:\w+:\w+\/\d+:2026-12-01T10:00:00\.000Z$/,
    );
    const later = inputFacts(
      "issues",
      "labeled",
      examplePayload("issues", "labeled", { at: AT + 1000 }),
    );
    expect(later.key).not.toBe(first.key);
    expect(facts("pull_request", "closed").facts.field).toBe("pull_request.updated_at");
  });

  it("leave installation events unkeyed and unaged, and a payload without its id unkeyed", () => {
    expect(facts("installation", "created").facts).toEqual({ key: null, at: null, field: null });
    const { payload } = facts("issue_comment", "created");
    delete (payload.comment as { id?: number }).id;
    expect(inputFacts("issue_comment", "created", payload).key).toBeNull();
  });
});
