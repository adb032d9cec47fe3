// One run end to end, in process, against the fake GitHub and the scripted
// model: the ways a run ends other than a green pull request.
import { execFileSync } from "node:child_process";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createModel } from "../../src/model/factory.ts";
import { ShutdownRequested } from "../../src/runs/interruptions.ts";
import {
  editFile,
  reply,
  text,
  toolUse,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness(
    {
      "a.txt": "one\n",
      "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
    },
    { sandbox: "bubblewrap" },
  );
});
afterEach(() => h.close());

async function run(script: ScriptedTurn[], config: unknown, controller = new AbortController()) {
  await h.model(script);
  await h.queue(config);
  const finished = await h.execute(await h.claim(), { signal: controller.signal });
  return { finished, comment: () => h.comment() };
}

const makeItTwo = reply(editFile("a.txt", "one", "two"));

describe("a run", () => {
  it("stops with the failing setup command named, and opens no pull request", async () => {
    const { finished, comment } = await run([], { setup: "exit 7" });
    expect(finished.state).toBe("failed");
    expect(finished.outcome).toBe("the setup command `exit 7` exited with code 7.");
    expect(comment()).toContain(
      "❌ Stamina stopped without a pull request: the setup command `exit 7`",
    );
    expect(h.github.pulls(OWNER, REPO)).toHaveLength(0);
  });

  it("asks once when the agent changes nothing, then says no change is needed", async () => {
    const { finished, comment } = await run(
      [reply(text("Nothing to do.")), reply(text("Nothing to do: a.txt is as the issue wants."))],
      {},
    );
    expect(finished.state).toBe("succeeded");
    expect(finished.outcome).toBe("no change needed");
    expect(comment()).toContain("No change needed");
    expect(h.github.pulls(OWNER, REPO)).toHaveLength(0);
  });

  it("opens a draft that shows the failing output when the budget ends with the checks failing", async () => {
    const { finished: waiting, comment } = await run(
      [reply(toolUse("bash", { command: "echo three > a.txt" })), reply(text("Changed it."))],
      { test: "sh check.sh", budget: { steps: 2 } },
    );
    // The spent budget asks for an extension first; denied, the run ends out of budget.
    expect(waiting.state).toBe("awaiting_approval");
    const finished = await h.decide(waiting, false);
    expect(finished.state).toBe("out_of_budget");
    const [pull] = h.github.pulls(OWNER, REPO);
    expect(pull?.draft).toBe(true);
    expect(pull?.body).toContain("❌ `sh check.sh` exited with code 3");
    expect(pull?.body).toContain("a.txt lacks two");
    expect(pull?.body).toContain("used its whole step budget (2 steps)");
    expect(comment()).toContain("as a draft");
  });

  it("opens a ready pull request only once the harness saw the reviewed change pass", async () => {
    const { finished, comment } = await run(
      [
        reply(toolUse("update_plan", { plan: ["Make a.txt say two"] })),
        makeItTwo,
        reply(text("Changed a.txt.")),
        reply(text("a.txt says two now, as the issue asks.")),
      ],
      { test: "sh check.sh" },
    );
    expect(finished).toMatchObject({ state: "succeeded", stepsUsed: 4 });
    const [pull] = h.github.pulls(OWNER, REPO);
    expect(pull?.draft).toBe(false);
    expect(pull?.body).toContain("a.txt says two now");
    expect(pull?.body).toContain("✅ `sh check.sh` passed (test)");
    expect(pull?.body).toMatch(
      /\*\*Budget:\*\* 4 of 50 steps, [\d,]+ of 5,000,000 tokens, \$0\.\d\d of \$10\.00/,
    );
    // The green verification was a milestone: committed and pushed before the end.
    const types = (await h.store.audit.events(finished.id)).map((e) => e.type);
    expect(types.filter((t) => t === "git.push").length).toBeGreaterThanOrEqual(1);
    const pushed = execFileSync("git", ["--git-dir", h.bare, "rev-parse", pull!.head], {
      encoding: "utf8",
    });
    expect(finished.headSha).toBe(pushed.trim());
    expect(comment()).toContain("verification passed");
  });

  it("fails before any work, in words, on a model its provider has no id for", async () => {
    await h.model([]);
    await h.queue({ model: "claude-sonnet-5" });
    const finished = await h.execute(
      await h.claim(),
      {},
      {
        createModel: (model) =>
          createModel({
            model,
            provider: { provider: "bedrock", region: "us-east-1", bearerToken: "bedrock-key" },
          }),
      },
    );
    expect(finished.state).toBe("failed");
    expect(finished.outcome).toContain("Stamina does not know what Amazon Bedrock calls the model");
    expect(h.comment()).toContain("STAMINA_MODEL_IDS");
    expect(h.github.pulls(OWNER, REPO)).toHaveLength(0);
  });

  it("opens a draft that says so when the step budget runs out", async () => {
    const { finished: waiting } = await run(
      [makeItTwo, reply(toolUse("bash", { command: "true" }))],
      { test: "sh check.sh", budget: { steps: 2 } },
    );
    expect(waiting.state).toBe("awaiting_approval");
    const finished = await h.decide(waiting, false);
    expect(finished.state).toBe("out_of_budget");
    const [pull] = h.github.pulls(OWNER, REPO);
    expect(pull?.draft).toBe(true);
    expect(pull?.body).toContain("used its whole step budget (2 steps)");
    expect(pull?.body).toContain("✅ `sh check.sh` passed");
  });

  it("goes back to the queue, and says so on the issue, when the worker shuts down", async () => {
    const controller = new AbortController();
    const { finished, comment } = await run(
      [
        () => {
          controller.abort(new ShutdownRequested());
          return makeItTwo;
        },
      ],
      {},
      controller,
    );
    expect(finished).toMatchObject({ state: "queued", leaseOwner: null });
    expect(comment()).not.toContain("❌");
    expect(comment()).toContain("the run is queued and starts again when a worker is free");
    const types = (await h.store.audit.events(finished.id)).map((e) => e.type);
    // Released, then the tracking comment, labels and check said so; nothing else.
    const after = types.slice(types.lastIndexOf("run.released") + 1);
    expect(after.length).toBeGreaterThan(0);
    expect(new Set(after)).toEqual(new Set(["github.write"]));
    expect(h.github.pulls(OWNER, REPO)).toHaveLength(0);
  });
});
