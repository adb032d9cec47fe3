// What `stamina run` and `stamina replay` print as a session goes: plain text
// for a terminal, not the Markdown-safe text GitHub gets (no look-alike
// backticks, no zero-width joiners in `@name` or `#123`), and never a control
// character, so nothing the model or a command wrote can drive the terminal.
import { describe, expect, it } from "vitest";
import { createReporter } from "../../src/cli/console.ts";
import { chain } from "../audit/fixture.ts";

function reporter() {
  let printed = "";
  const r = createReporter({ write: (t: string) => (printed += t) });
  return { r, printed: () => printed };
}

describe("the console reporter", () => {
  it("shows what the model and the tools said as written, not escaped for Markdown", () => {
    const { r, printed } = reporter();
    const events = chain([
      {
        type: "model.response",
        data: {
          step: 4,
          stopReason: "end_turn",
          text: "greet() says `Hello, NAME!` now, as #3 asks; thanks @octocat.",
        },
      },
      {
        type: "tool.call",
        data: { step: 5, name: "bash", input: { command: "grep -n '`Hello' greet.js" } },
      },
      {
        type: "tool.result",
        data: { step: 5, name: "bash", isError: false, exitCode: 1, output: "no `match`\n" },
      },
    ]);
    for (const e of events) r.onEvent(e);
    const text = printed();
    expect(text).toContain("greet() says `Hello, NAME!` now, as #3 asks; thanks @octocat.");
    expect(text).toContain("bash: grep -n '`Hello' greet.js");
    expect(text).toContain("bash ok exit 1: no `match`");
    expect(text).not.toContain("ˋ");
    expect(text).not.toContain("\u200D");
  });

  it("counts input the prompt cache served as input, not as nothing", () => {
    const { r, printed } = reporter();
    const [event] = chain([
      {
        type: "model.response",
        data: {
          step: 2,
          stopReason: "tool_use",
          usage: { input_tokens: 0, cache_read_input_tokens: 12_000, output_tokens: 800 },
        },
      },
    ]);
    r.onEvent(event!);
    expect(printed()).toBe(
      "model   step 2 stop tool_use; 12,000 tokens in (12,000 from cache), 800 out\n",
    );
  });

  it("drops control and invisible characters, in events and in the plan", async () => {
    const { r, printed } = reporter();
    const [event] = chain([
      {
        type: "model.response",
        data: { step: 1, text: "\u001b]0;owned\u0007red\u001b[2J \u202Egnp.exe" },
      },
    ]);
    r.onEvent(event!);
    await r.progress.plan([{ step: "Fix `greet`\n\u001b[1Aover", status: "in_progress" }]);
    const text = printed();
    expect(text).not.toMatch(/\p{Cc}(?<!\n)/u);
    expect(text).not.toContain("\u202E");
    expect(text).toContain("[~] Fix `greet` [1Aover\n");
  });
});
