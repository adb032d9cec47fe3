// A command's output as the model gets it in a run: the text a terminal would
// show, colour codes and progress frames gone, while the run's folder keeps
// the bytes the command wrote.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" });
});
afterEach(() => h.close());

const COLOURED = String.raw`printf '\033[1;31mFAIL\033[0m 3 tests\n\033]8;;https://example.com\033\\docs\033]8;;\033\\\n10%%\r55%%\r100%%\n'; echo "NO_COLOR=$NO_COLOR FORCE_COLOR=$FORCE_COLOR"`;

describe("a command's output", () => {
  it("reaches the model without colour codes, and the run's folder keeps them", async () => {
    const server = await h.model([
      reply(toolUse("bash", { command: COLOURED })),
      reply(editFile("a.txt", "one", "two")),
      reply(text("Changed a.txt.")),
      reply(text("a.txt says two now.")),
    ]);
    await h.queue();
    const finished = await h.execute(await h.claim());
    expect(finished.state).toBe("succeeded");

    // Every command result the model was sent, in every request.
    const results = server.requests.flatMap((r) =>
      r.body.messages.flatMap((m) =>
        typeof m.content === "string"
          ? []
          : m.content.flatMap((b) => (b.type === "tool_result" ? [JSON.stringify(b.content)] : [])),
      ),
    );
    expect(results).toContain(
      JSON.stringify("FAIL 3 tests\ndocs\n100%\nNO_COLOR=1 FORCE_COLOR=0\n"),
    );
    for (const result of results) expect(result).not.toMatch(/\\u001b|\\u0007|\\r/);

    const runFolder = join(h.dir, "data", "runs", finished.id);
    const saved = readdirSync(runFolder)
      .filter((d) => d.startsWith("attempt-"))
      .flatMap((d) => {
        const outputs = join(runFolder, d, "outputs");
        return readdirSync(outputs).map((f) => readFileSync(join(outputs, f), "utf8"));
      });
    expect(saved).toContain(
      "\u001b[1;31mFAIL\u001b[0m 3 tests\n\u001b]8;;https://example.com\u001b\\docs\u001b]8;;\u001b\\\n10%\r55%\r100%\nNO_COLOR=1 FORCE_COLOR=0\n",
    );
  });
});
