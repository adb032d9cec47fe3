// The safety chart: what the controls stopped or asked about, each counted as the README says.
import { describe, expect, it } from "vitest";
import { runHealth } from "../../../src/audit/health/index.ts";
import { safetyEvent } from "../../../src/audit/safety.ts";
import { chain } from "../fixture.ts";
import { bash, values } from "./events.ts";

const blocked = (host: string) => ({
  type: "network.blocked",
  data: { host, port: 443, kind: "denied", reason: "not allowed", count: 1, total: 1 },
});
const finding = (path: string, line: number) => ({ kind: "aws-key", path, line });

describe("the safety chart", () => {
  it("counts refused commands, limits, hosts, secrets and approvals", () => {
    const run = runHealth(
      chain([
        ...bash(1, "env"),
        safetyEvent({ control: "sandbox.environment", outcome: "blocked", detail: "d" }),
        safetyEvent({ control: "test.integrity", outcome: "flagged", detail: "d" }),
        ...bash(2, "yes > big"),
        { type: "sandbox.limit", data: { step: 2, tool: "bash", limit: "output" } },
        blocked("evil.example"),
        blocked("evil.example"),
        blocked("other.example"),
        ...bash(3, "git push"),
        safetyEvent({ control: "sandbox.push", outcome: "blocked", detail: "d" }),
        safetyEvent({ control: "push.guard", outcome: "blocked", detail: "d" }),
        { type: "git.secret_scan", data: { result: "held", findings: [finding("a.env", 1)] } },
        {
          type: "git.secret_scan",
          data: { result: "approved", findings: [finding("a.env", 1), finding("b.env", 2)] },
        },
        { type: "approval.held", data: { sha: "abc", fingerprint: "f", asked: ["x"] } },
        { type: "approval.granted", data: { by: "maintainer", source: "approval" } },
        { type: "run.paused", data: { state: "awaiting_approval", source: "budget" } },
        { type: "run.paused", data: { state: "awaiting_reply", source: "watchdog" } },
      ]),
    );
    expect(values(run, "safety", "refused commands")).toEqual([1, 1, 3]);
    expect(values(run, "safety", "limits hit")).toEqual([0, 1, 1]);
    expect(values(run, "safety", "blocked hosts")).toEqual([0, 2, 2]);
    expect(values(run, "safety", "secret findings")).toEqual([0, 0, 2]);
    expect(values(run, "safety", "approvals asked")).toEqual([0, 0, 2]);
    expect(values(run, "safety", "approvals given")).toEqual([0, 0, 1]);
  });
});
