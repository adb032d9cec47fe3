// Reading `/stamina` commands out of comments: only lines a reader sees as a
// command, in order, with unknown words kept so the handler can say so.
import { describe, expect, it } from "vitest";
import { parseCommands } from "../../src/app/commands.ts";

describe("/stamina commands", () => {
  it("are lines that start with /stamina, case-insensitive, with their arguments", () => {
    expect(parseCommands("/stamina stop")).toEqual([{ name: "stop", args: "" }]);
    expect(parseCommands("Thanks!\n\n  /Stamina STOP  now please\n")).toEqual([
      { name: "stop", args: "now please" },
    ]);
    expect(parseCommands("/stamina dance\n/stamina")).toEqual([
      { name: "unknown", word: "dance", args: "" },
      { name: "unknown", word: "", args: "" },
    ]);
  });

  it("are not quoted, in code blocks, hidden in HTML comments, or mid-sentence", () => {
    const body = [
      "> /stamina stop",
      "```",
      "/stamina stop",
      "```",
      "<!-- /stamina stop -->",
      "Please do not /stamina stop this.",
      "/staminastop",
      "\u200B/stamina stop",
    ].join("\n");
    // The zero-width space is removed as hidden content: that line is a command a reader sees.
    expect(parseCommands(body)).toEqual([{ name: "stop", args: "" }]);
    expect(parseCommands(null)).toEqual([]);
  });
});
