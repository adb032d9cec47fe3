// What a pull request's work cost, where people look: the tracking comment,
// the pull request's body and the "Stamina" check's summary, for the work so
// far and for each round, cache reads counted as the input they are.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type Anthropic from "@anthropic-ai/sdk";
import { parseRepoConfig } from "../../src/policy/config.ts";
import {
  editFile,
  reply,
  text,
  toolUse,
  type ScriptedMessage,
} from "../support/model-server/index.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" });
});
afterEach(() => h.close());

/** Almost every input token a cache read, as in a run that caches well. */
const USAGE: Partial<Anthropic.Usage> = {
  input_tokens: 1_000,
  cache_read_input_tokens: 250_000,
  cache_creation_input_tokens: 20_000,
  output_tokens: 3_000,
};
const billed = (message: ScriptedMessage): ScriptedMessage => ({ ...message, usage: USAGE });

// Four responses on claude-sonnet-5-5 ($2 in, $10 out per million; cache reads $0.20, writes
// $2.50): 4,000 × 2 + 1,000,000 × 0.2 + 80,000 × 2.5 + 12,000 × 10 = $0.528.
const ISSUE_RUN =
  "1.1M input tokens (1M cache read, 80k cache write), 12k output, $0.53 (prices of 2026-11-22)";
// Three more on the review round: 3,000 × 2 + 750,000 × 0.2 + 60,000 × 2.5 + 9,000 × 10 = $0.396.
const ROUND =
  "813k input tokens (750k cache read, 60k cache write), 9k output, $0.40 (prices of 2026-11-22)";
const BOTH =
  "1.9M input tokens (1.8M cache read, 140k cache write), 21k output, $0.92 (prices of 2026-11-22)";

function staminaCheck(): string {
  const checks = h.github.checkRuns(OWNER, REPO).filter((c) => c.name === "Stamina");
  return checks.at(-1)?.summary ?? "";
}

describe("the cost of a pull request's work", () => {
  it("is on the tracking comment, the body and the check, then per round after a review", async () => {
    await h.model([
      billed(reply(toolUse("update_plan", { plan: ["Make a.txt say two"] }))),
      billed(reply(editFile("a.txt", "one", "two"))),
      billed(reply(text("Changed a.txt."))),
      billed(reply(text("a.txt says two now, as the issue asks."))),
    ]);
    await h.queue();
    const finished = await h.execute(await h.claim());
    expect(finished.state).toBe("succeeded");

    const line = `**Cost so far:** ${ISSUE_RUN}.`;
    expect(h.comment()).toContain(line);
    const [pull] = h.github.pulls(OWNER, REPO);
    expect(pull?.body).toContain(line);
    expect(staminaCheck()).toContain(line);
    // One round so far: no list of rounds, no "this round".
    expect(pull?.body).not.toContain("The issue's run:");
    expect(h.comment()).not.toContain("This round");

    // A review by a writer, and the round that answers it.
    h.github.setPermission(OWNER, REPO, "maintainer", "write");
    h.github.submitReview(OWNER, REPO, pull!.number, {
      user: "maintainer",
      comments: [{ path: "a.txt", line: 1, body: "Why two?" }],
    });
    const server = await h.model([
      billed(
        reply(
          editFile("a.txt", "two", "two, as the issue asks"),
          toolUse("answer_thread", { thread: 1, outcome: "changed", reply: "Said why." }),
        ),
      ),
      billed(reply(text("Answered the review."))),
      billed(reply(text("a.txt says why now."))),
    ]);
    await h.store.runs.enqueueFollowUp({
      installationId: 1,
      owner: OWNER,
      repo: REPO,
      issueNumber: pull!.number,
      pullNumber: pull!.number,
      issueTitle: pull!.title,
      issueBody: "",
      requestedBy: "maintainer",
      deliveryId: "review-1",
      config: parseRepoConfig({}),
    });
    const round = await h.execute(await h.claim());
    expect(round.state).toBe("succeeded");
    expect(server.requests).toHaveLength(3);

    const body = h.github.pulls(OWNER, REPO)[0]?.body ?? "";
    expect(body).toContain(`**Cost so far:** ${BOTH}.`);
    expect(body).toContain(`- The issue's run: ${ISSUE_RUN}.`);
    expect(body).toContain(`- Review round 1: ${ROUND}.`);
    // Replaced in place, not added again.
    expect(body.split("**Cost so far:**")).toHaveLength(2);

    const summary = h.github.issueComments(OWNER, REPO, pull!.number).at(-1)?.body ?? "";
    expect(summary).toContain("Stamina answered the review");
    expect(summary).toContain(`**Cost so far:** ${BOTH}.`);
    expect(summary).toContain(`**This round** (review round 1): ${ROUND}.`);
    expect(staminaCheck()).toContain(`**Cost so far:** ${BOTH}.`);
    expect(staminaCheck()).toContain(`**This round** (review round 1): ${ROUND}.`);
  });
});
