// The repository's instructions reach the agent: a run queued with them (as the trigger freezes
// them into its config) sends them in its task, to the scripted model through the real SDK.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reply, text } from "../support/model-server/index.ts";
import { startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" });
});
afterEach(() => h.close());

async function firstUserMessage(config: unknown): Promise<string> {
  const model = await h.model([reply(text("Nothing to do."))]);
  await h.queue(config);
  await h.execute(await h.claim());
  const [first] = model.requests;
  const message = (first?.body as { messages: Array<{ content: unknown }> }).messages[0];
  return JSON.stringify(message?.content);
}

describe("repository instructions", () => {
  it("go to the agent with the task, marked as the maintainers'", async () => {
    const task = await firstUserMessage({
      instructions: "From `AGENTS.md`:\n\nUse tabs, never spaces.",
    });
    expect(task).toContain("<repository_instructions>");
    expect(task).toContain("Use tabs, never spaces.");
  });

  it("leave the task as it was when there are none", async () => {
    const task = await firstUserMessage({});
    expect(task).not.toContain("repository_instructions");
    expect(task).toContain("</issue_body>");
  });
});
