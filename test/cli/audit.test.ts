// `stamina audit verify` as a maintainer runs it: exit 0 and the head for a
// sound log, exit 1 and the broken event for a tampered one.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { appendEvent } from "../../src/audit/chain.ts";
import type { AuditEvent } from "../../src/audit/types.ts";
import { toJsonl } from "../../src/audit/verify.ts";

const dir = mkdtempSync(join(tmpdir(), "stamina-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function stamina(...args: string[]): { status: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, ["--import", "tsx", "src/main.ts", ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH },
    });
    return { status: 0, stdout, stderr: "" };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { status: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

function log(count: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let i = 0; i < count; i++) {
    events.push(
      appendEvent(
        events.at(-1),
        "run-1",
        { type: "tool.call", data: { i } },
        new Date(i).toISOString(),
      ),
    );
  }
  return events;
}

describe("stamina audit verify", () => {
  it("accepts a sound log and prints its head", () => {
    const events = log(5);
    const file = join(dir, "ok.jsonl");
    writeFileSync(file, toJsonl(events));
    const result = stamina("audit", "verify", file);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`ok: 5 events, head ${events[4]!.hash}`);
  });

  it("rejects an edited log and names the event", () => {
    const events = log(5);
    events[2] = { ...events[2]!, data: { i: 99 } };
    const file = join(dir, "edited.jsonl");
    writeFileSync(file, toJsonl(events));
    const result = stamina("audit", "verify", file);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/event 3/);
  });

  it("explains its usage for an unknown command", () => {
    const result = stamina("frobnicate");
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("unknown command: frobnicate");
  });
});
