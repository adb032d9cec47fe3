// An `expect` inside a scripted model turn is the test's failure: the scripted server keeps the
// first error a turn throws (the request it answered got a 500), and the run harness rethrows it
// when the test awaits the run, instead of the test failing later on the state the run was left
// in without its answer ("queued" where "succeeded" was expected).
import { afterEach, beforeEach, expect, it } from "vitest";
import { reply, text } from "../support/model-server/index.ts";
import { startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" });
});
afterEach(() => h.close());

it("fails with the message of an assertion inside a scripted turn", async () => {
  await h.model([
    (request) => {
      expect(JSON.stringify(request.body.messages[0]), "the task names the issue").toContain(
        "issue #404",
      );
      return reply(text("Done."));
    },
  ]);
  const run = await h.queue();
  const failure = await h.execute(await h.claim()).then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(Error);
  expect((failure as Error).message).toMatch(
    /^the task names the issue: expected .* to contain 'issue #404'/,
  );
  // Without it the test would have read only what the run became, short of its answer.
  expect((await h.store.runs.get(run.id))?.state).not.toBe("succeeded");
});
