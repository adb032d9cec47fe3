// What the model reads of a command's output: what a terminal would show,
// whatever way the bytes were cut into chunks.
import { describe, expect, it } from "vitest";
import { TerminalText, terminalText } from "../../src/sandbox/terminal-text.ts";

const ESC = "\u001b";

/** The text fed in pieces of `size` characters, as a stream would bring it. */
function streamed(text: string, size: number): { text: string; changed: boolean } {
  const filter = new TerminalText();
  let out = "";
  for (let i = 0; i < text.length; i += size) out += filter.push(text.slice(i, i + size));
  out += filter.flush();
  return { text: out, changed: filter.changed };
}

describe("terminal text", () => {
  it("drops colour codes and keeps the text, tabs and newlines", () => {
    const coloured = `${ESC}[1;31mFAIL${ESC}[0m\tsrc/a.test.ts\n${ESC}[32m✓${ESC}[39m ok\n`;
    expect(terminalText(coloured)).toBe("FAIL\tsrc/a.test.ts\n✓ ok\n");
  });

  it("drops OSC hyperlinks and titles, keeping the linked text", () => {
    const link = `${ESC}]8;;https://example.com${ESC}\\docs${ESC}]8;;${ESC}\\ and ${ESC}]0;title\u0007done\n`;
    expect(terminalText(link)).toBe("docs and done\n");
  });

  it("keeps the last state of a line a progress bar redrew", () => {
    expect(terminalText("Downloading 10%\rDownloading 55%\rDownloading 100%\nnext\n")).toBe(
      "Downloading 100%\nnext\n",
    );
    // Erase-in-line after the carriage return: the shorter last frame is all that shows.
    expect(terminalText(`building [####    ]\r${ESC}[2Kbuilt\n`)).toBe("built\n");
    expect(terminalText(`resolving...\r${ESC}[Kdone\n`)).toBe("done\n");
    // Without an erase, a terminal shows the rest of the longer frame, and so does this.
    expect(terminalText("abcdef\rXY\n")).toBe("XYcdef\n");
    expect(terminalText("spin |\b/\b-\b\\\bdone\n")).toBe("spin done\n");
    expect(terminalText("a\r\nb\r\n")).toBe("a\nb\n");
  });

  it("drops other control characters", () => {
    expect(terminalText("bell\u0007 nul\u0000 del\u007f c1\u0085 end")).toBe("bell nul del c1 end");
    expect(terminalText(`${ESC}(B${ESC}=${ESC}7saved${ESC}8\n`)).toBe("saved\n");
    expect(terminalText("\u009b31mred\u009b0m")).toBe("red");
  });

  it("gives the same text however the stream is cut", () => {
    const text = `${ESC}[38;5;196mred${ESC}[0m ${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\\n50%\r100%\n✓ é 😀\n`;
    const whole = terminalText(text);
    expect(whole).toBe("red link\n100%\n✓ é 😀\n");
    for (let size = 1; size <= text.length; size++) expect(streamed(text, size).text).toBe(whole);
  });

  it("says whether the text differs from what was written", () => {
    expect(streamed("plain text\nwith\ttabs\n", 3).changed).toBe(false);
    expect(streamed(`${ESC}[31mred`, 3).changed).toBe(true);
    expect(streamed("10%\r20%", 3).changed).toBe(true);
  });

  it("lets a long line go without waiting for its end, and gives up an unended OSC string", () => {
    const filter = new TerminalText();
    expect(filter.push("x".repeat(20_000)).length).toBe(20_000);
    expect(filter.flush()).toBe("");
    // A terminal would swallow it all; the model sees what comes after the first few thousand.
    const shown = terminalText(`${ESC}]0;${"t".repeat(5_000)}visible\n`);
    expect(shown).toMatch(/^t+visible\n$/);
    expect(shown.length).toBeLessThan(5_000);
  });

  it("abandons a sequence a newline cuts short", () => {
    expect(terminalText(`a${ESC}[31\nb\n`)).toBe("a\nb\n");
  });
});
