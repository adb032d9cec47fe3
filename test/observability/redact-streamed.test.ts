// A held secret a command prints in two pieces, a moment apart, so that it
// reaches the harness in two chunks of output: the shell collects a command's
// whole output before anything is redacted, so the tool.result event, redacted
// on its way into the audit log, holds no piece of it. A real session: the
// scripted model, the bash tool in the process sandbox, the audit log a local
// run writes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AuditFile } from "../../src/audit/file-log.ts";
import { REDACTED, createRedactor } from "../../src/observability/redact.ts";
import { reply, text } from "../support/model-server/index.ts";
import { agentFixture, bash } from "../agent/fixture.ts";

// An older installation token's shape, which no credential pattern knows: only the held value finds it.
const held = "v1.0123456789abcdef-held";
const fx = agentFixture({ "a.txt": "one\n" });
afterAll(() => fx.close());

/** The tool results the audit log holds, in order, as the log holds them. */
async function loggedResults(commands: string[]): Promise<string[]> {
  const path = join(fx.dir, `audit-${Date.now()}.jsonl`);
  const audit = await AuditFile.create({ path, runId: "local", redactor: createRedactor([held]) });
  await fx.run(
    [...commands.map((c) => bash(c)), ...Array.from({ length: 3 }, () => reply(text("Done.")))],
    { audit },
  );
  await audit.close();
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { type: string; data: { output?: string } })
    .filter((e) => e.type === "tool.result")
    .map((e) => e.data.output ?? "");
}

describe("a held secret printed in two chunks", () => {
  it("is redacted whole in the tool.result event, on one line or across two", async () => {
    const [first, second] = [held.slice(0, 10), held.slice(10)];
    const results = await loggedResults([
      `printf '%s' '${first}'; sleep 0.3; printf '%s\\n' '${second}'`,
      `printf '%s\\n' '${first}'; sleep 0.3; printf '  %s\\n' '${second}'`,
      `printf '%s' '${held}' | base64 | fold -w 5; sleep 0.1; echo done`,
    ]);
    expect(results).toHaveLength(3);
    expect(results[0]).toBe(`${REDACTED}\n`);
    expect(results[1]).toBe(`${REDACTED}\n`);
    expect(results[2]).toBe(`${REDACTED}\ndone\n`);
    for (const output of results) {
      expect(output).not.toContain(first);
      expect(output).not.toContain(second);
      expect(Buffer.from(output.replace(/\s/g, ""), "base64").includes(Buffer.from(held))).toBe(
        false,
      );
    }
  });
});
