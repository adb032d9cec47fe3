// Output collection: bounded memory, head and tail kept, no split characters,
// and the saved file capped with a note.
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { OutputCollector } from "../../src/sandbox/output.ts";
import { completePrefix, completeSuffix } from "../../src/sandbox/utf8.ts";
import { removeTempDirs, tempDir } from "../workspace/helpers.ts";

afterAll(removeTempDirs);

function collector(maxOutputChars: number, maxSavedBytes = 1_000_000) {
  return new OutputCollector({ maxOutputChars, maxSavedBytes, outputDir: tempDir(), stem: "cmd" });
}

describe("utf8 cuts", () => {
  const text = Buffer.from("aé€😀z");
  it("never ends inside a character", () => {
    for (let end = 0; end <= text.length; end++) {
      expect(completePrefix(text.subarray(0, end)).toString()).not.toContain("\uFFFD");
    }
    expect(completePrefix(text.subarray(0, 4)).toString()).toBe("aé");
  });
  it("never starts inside a character", () => {
    for (let start = 0; start <= text.length; start++) {
      expect(completeSuffix(text.subarray(start)).toString()).not.toContain("\uFFFD");
    }
    expect(completeSuffix(text.subarray(2)).toString()).toBe("€😀z");
  });
});

describe("OutputCollector", () => {
  it("returns short output whole and saves no file", async () => {
    const c = collector(100);
    void c.push(Buffer.from("hello "));
    void c.push(Buffer.from("world"));
    expect(await c.finish()).toEqual({
      output: "hello world",
      truncated: false,
      totalBytes: 11,
      fullOutputPath: null,
    });
  });

  it("keeps head and tail and saves everything when the output is long", async () => {
    const c = collector(40);
    const lines = Array.from({ length: 100 }, (_, i) => `line ${i}\n`).join("");
    for (let i = 0; i < lines.length; i += 7) await c.push(Buffer.from(lines.slice(i, i + 7)));
    const result = await c.finish();
    expect(result.truncated).toBe(true);
    expect(result.output.startsWith("line 0\nline 1\nline 2\n… [")).toBe(true);
    expect(result.output.endsWith("] …\n 97\nline 98\nline 99\n")).toBe(true);
    expect(result.output).toContain(`bytes cut; full output in ${result.fullOutputPath ?? "?"}`);
    expect(readFileSync(result.fullOutputPath ?? "", "utf8")).toBe(lines);
  });

  it("caps the saved file and says so in it", async () => {
    const c = collector(10, 100);
    for (let i = 0; i < 50; i++) await c.push(Buffer.alloc(10, "x"));
    const result = await c.finish();
    const saved = readFileSync(result.fullOutputPath ?? "", "utf8");
    expect(saved.startsWith("x".repeat(100) + "\n[Stamina: the saved output stops here")).toBe(
      true,
    );
    expect(result.output).toContain("the first 100 bytes are in");
  });

  it("returns the text without colour codes and saves the bytes as written", async () => {
    const c = collector(100);
    const raw = Buffer.from("\u001b[31mred\u001b[0m é\n50%\r100%\n");
    // Cut inside the escape sequence and inside no character: the stream is cut anywhere.
    for (let i = 0; i < raw.length; i += 2) await c.push(raw.subarray(i, i + 2));
    const result = await c.finish();
    expect(result).toMatchObject({
      output: "red é\n100%\n",
      truncated: false,
      totalBytes: raw.length,
    });
    expect(readFileSync(result.fullOutputPath ?? "")).toEqual(raw);
  });

  it("truncates by the text kept, not by the colour codes around it", async () => {
    const c = collector(60);
    const lines = Array.from({ length: 5 }, (_, i) => `\u001b[1;32mok ${i}\u001b[0m\n`).join("");
    expect(lines.length).toBeGreaterThan(60);
    await c.push(Buffer.from(lines));
    const result = await c.finish();
    expect(result.output).toBe("ok 0\nok 1\nok 2\nok 3\nok 4\n");
    expect(result.truncated).toBe(false);
    expect(readFileSync(result.fullOutputPath ?? "", "utf8")).toBe(lines);
  });
});
