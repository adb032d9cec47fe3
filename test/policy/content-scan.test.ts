// One blob's bytes against the three rule sets: Stamina's own, secretlint's
// recommended preset and the run's held secrets (the redactor's `locate`). A
// NUL byte stops nothing, lines are 1-based within the blob, each (line, rule)
// is said once, and no finding holds the value.
import { describe, expect, it } from "vitest";
import { createRedactor } from "../../src/observability/redact.ts";
import { scanContent } from "../../src/policy/content-scan.ts";

const TOKEN = `ghp_${"A1b2C3d4E5".repeat(4)}`;
const SLACK = `xoxb-123456789012-1234567890123-${"aBcDeFgHiJ".repeat(2)}abcd`;

describe("scanContent", () => {
  it("reads past NUL bytes and counts lines in the blob", async () => {
    const bytes = Buffer.concat([Buffer.from([0, 0, 0x0a, 0xff, 0x0a]), Buffer.from(TOKEN)]);
    expect(await scanContent("x.bin", bytes)).toEqual([
      { path: "x.bin", line: 3, kind: "GitHub token" },
    ]);
  });

  it("names a secret only secretlint's preset knows by its rule id, never its value", async () => {
    const found = await scanContent("n.sh", Buffer.from(`echo hi\nSLACK=${SLACK}\n`));
    expect(found).toEqual([{ path: "n.sh", line: 2, kind: "@secretlint/secretlint-rule-slack" }]);
    expect(JSON.stringify(found)).not.toContain("xoxb");
  });

  it("finds a held secret in base64 through locate, with the form it took", async () => {
    const held = "an-installation-token-0123456789";
    const redactor = createRedactor([held]);
    const locate = (text: string) => redactor.locate(text);
    const text = `one\ntwo\nx=${Buffer.from(held).toString("base64")}\n`;
    const found = await scanContent("t.txt", Buffer.from(text), locate);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path: "t.txt", line: 3 });
    expect(found[0]?.kind).toMatch(/^held secret \(.+\)$/);
    expect(await scanContent("t.txt", Buffer.from(text))).toEqual([]);
  });

  it("says each line and rule once, however many times the line matches", async () => {
    const found = await scanContent("a.js", Buffer.from(`${TOKEN} ${TOKEN}\n`));
    expect(found.filter((f) => f.kind === "GitHub token")).toHaveLength(1);
  });
});
