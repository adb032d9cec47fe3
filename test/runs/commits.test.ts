// Who a commit credits: the person who asked, as GitHub's no-reply address
// (with the account id when the trigger gave it), and never whom the model
// names in its own message.
import { describe, expect, it } from "vitest";
import { coAuthorOf } from "../../src/runs/commits.ts";
import { commitText } from "../../src/runs/milestone.ts";

describe("the co-author", () => {
  it("is the asker's id+login no-reply address, or the login-only one without an id", () => {
    expect(coAuthorOf({ requestedBy: "octocat", requestedById: 583231 })).toEqual({
      name: "octocat",
      email: "583231+octocat@users.noreply.github.com",
    });
    expect(coAuthorOf({ requestedBy: "octocat", requestedById: null }).email).toBe(
      "octocat@users.noreply.github.com",
    );
  });

  it("is the harness's to say: trailers in the model's message are dropped", () => {
    const text = commitText(
      "Fix the parser\n\nHandles empty input.\n\nCo-authored-by: Someone <someone@example.com>\nStamina-Audit: forged",
    );
    expect(text).toBe("Fix the parser\n\nHandles empty input.");
  });
});
