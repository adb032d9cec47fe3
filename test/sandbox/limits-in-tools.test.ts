// A sandbox limit as the model and the audit log meet it: the bash tool adds
// the limit's message as a note, marks the result an error and keeps the hit
// in its details; the turn records a `sandbox.limit` audit event for it.
import { statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type Anthropic from "@anthropic-ai/sdk";
import { createBashTool } from "../../src/agent/tools/bash.ts";
import { runTools } from "../../src/agent/turn.ts";
import { commandEnvironment, createSandbox, type LimitHit } from "../../src/sandbox/sandbox.ts";
import { removeTempDirs, tempDir } from "../workspace/helpers.ts";

afterAll(removeTempDirs);

describe("a limit hit in the bash tool", () => {
  it("is a note for the model, an error, a detail and an audit event", async () => {
    const run = tempDir("stamina-tool-limit-");
    // The process kind: the wiring is the same on both, and this runs on any host.
    const sandbox = createSandbox({ kind: "process", limits: { fileSizeBytes: 1024 * 1024 } });
    const tool = createBashTool({
      sandbox,
      worktree: run,
      env: commandEnvironment({ home: join(run, "home"), tmpdir: join(run, "tmp") }),
      outputDir: join(run, "outputs"),
      timeoutMs: 20_000,
      group: `tool-${process.pid}`,
    });
    const events: { type: string; data: Record<string, unknown> }[] = [];
    const audit = {
      record: (type: string, data: Record<string, unknown>) => {
        events.push({ type, data });
        return Promise.resolve();
      },
    };
    const call: Anthropic.ToolUseBlock = {
      type: "tool_use",
      id: "toolu_1",
      caller: { type: "direct" },
      name: "bash",
      input: { command: "dd if=/dev/zero of=big bs=64k count=100 2>/dev/null" },
    };
    try {
      const ran = await runTools([call], {
        tools: new Map([["bash", tool]]),
        audit,
        signal: AbortSignal.timeout(30_000),
        step: 4,
      });
      const message =
        "The command was killed: it wrote a file past 1 MiB, the sandbox's largest file size. The file is cut at that size; write less (a smaller log, a sample of the data).";
      expect(ran.results[0]).toMatchObject({ is_error: true });
      expect(ran.results[0]?.content).toContain(`[${message}]`);
      const hit: LimitHit = { limit: "file-size", message };
      expect(ran.ran[0]?.details?.limit).toEqual(hit);
      expect(events.filter((e) => e.type === "sandbox.limit")).toEqual([
        { type: "sandbox.limit", data: { step: 4, tool: "bash", limit: "file-size", message } },
      ]);
      expect(statSync(join(run, "big")).size).toBe(1024 * 1024);
    } finally {
      await tool.close?.();
      await sandbox.releaseGroup(`tool-${process.pid}`);
    }
  });
});
