// The `context.health` event's `carries`: the shares of the issue and of the plan the request as
// sent still holds, measured on the request itself, so the memory chart shows what a compaction
// or a clearing lost of what the run must never lose.
import { afterEach, describe, expect, it } from "vitest";
import { carriedShares } from "../../src/agent/context/health.ts";
import { reply, text, toolUse } from "../support/model-server/index.ts";
import { agentFixture, type AgentFixture } from "./fixture.ts";

const TASK = [
  "Resolve issue #1 of octo/demo.",
  "",
  "Title: Fix the parser",
  "",
  "<issue_body>",
  'It rejects "tabs".',
  "It should accept them.",
  "</issue_body>",
  "",
  "Your memory for this repository is the `memory` tool.",
].join("\n");

const request = (...texts: string[]) =>
  JSON.stringify(["You are Stamina.", [], [{ role: "user", content: texts.join("\n") }]]);

describe("the shares a request carries", () => {
  it("are all of the issue when the request holds its text, quotes and all", () => {
    expect(carriedShares(request(TASK), TASK, [])).toEqual({ issue: 1 });
  });

  it("count the issue's lines the request still holds, the prompt after the issue left out", () => {
    // Five lines up to the body's end: the body's last line is gone.
    const cut = request("Resolve issue #1 of octo/demo.", "Title: Fix the parser", "<issue_body>");
    expect(carriedShares(cut, TASK, []).issue).toBe(3 / 5);
    const quoted = request('It rejects "tabs".');
    expect(carriedShares(quoted, TASK, []).issue).toBe(1 / 5);
  });

  it("count the plan's steps the request holds", () => {
    const plan = [
      { step: "Read the parser", status: "done" as const },
      { step: "Accept tabs", status: "pending" as const },
    ];
    expect(carriedShares(request(TASK, "[x] Read the parser"), TASK, plan)).toEqual({
      issue: 1,
      plan: 0.5,
    });
  });
});

describe("the health event of a session", () => {
  let fx: AgentFixture;
  afterEach(() => fx.close());

  it("records the shares every step, the plan's once a request was sent with one", async () => {
    fx = agentFixture({ "a.txt": "one\n" }, { task: "Make a.txt say two." });
    await fx.run([
      reply(toolUse("str_replace_based_edit_tool", { command: "view", path: "a.txt" })),
      reply(toolUse("update_plan", { plan: ["Make a.txt say two", "Check it"] })),
      reply(text("Nothing else to do.")),
      reply(text("Nothing else to do.")),
    ]);
    const carries = fx.events.filter((e) => e.type === "context.health").map((e) => e.data.carries);
    // Step 2 set the plan; step 3's request is the first sent with it.
    expect(carries.slice(0, 3)).toEqual([{ issue: 1 }, { issue: 1 }, { issue: 1, plan: 1 }]);
  });
});
