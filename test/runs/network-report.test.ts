// What the egress proxy refused, as a run reports it: one audit event per
// host and command at each flush, one line per host on the run's texts whose
// count grows in place, and a resumed attempt that keeps its earlier hosts.
import { describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/types.ts";
import { openNetworkReport } from "../../src/runs/network-report.ts";
import type { BlockedRequest } from "../../src/sandbox/sandbox.ts";

const OTHER: BlockedRequest = {
  host: "other.example.com",
  port: 443,
  kind: "not-allowed",
  reason: "other.example.com is not on the network allowlist",
};
const METADATA: BlockedRequest = {
  host: "metadata.example.com",
  port: 80,
  kind: "refused-address",
  reason: "metadata.example.com resolves to 169.254.169.254, link-local (169.254.0.0/16)",
};

function world(earlier: AuditEvent[] = []) {
  const recorded: { type: string; data: Record<string, unknown> }[] = [];
  /** The `safety` events beside them: one per refusal, for the audit trail. */
  const safety: Record<string, unknown>[] = [];
  const notices: string[] = [];
  const report = openNetworkReport({
    audit: {
      record: (type, data) => {
        if (type === "safety") safety.push(data);
        else recorded.push({ type, data });
        return Promise.resolve();
      },
    },
    allow: ["pkgs.example.com"],
    show: (text, replaces) => {
      const at = replaces === undefined ? -1 : notices.indexOf(replaces);
      if (at >= 0) notices[at] = text;
      else if (!notices.includes(text)) notices.push(text);
    },
    earlier,
  });
  return { report, recorded, safety, notices };
}

describe("the network report", () => {
  it("grants the repository's hosts and records each blocked host per command at a flush", async () => {
    const { report, recorded, safety, notices } = world();
    const setup = report.grant("setup");
    expect(setup.allow).toEqual(["pkgs.example.com"]);
    setup.onBlocked(OTHER, "npm ci");
    setup.onBlocked(OTHER, "npm ci");
    setup.onBlocked(METADATA, "npm ci");
    expect(recorded).toEqual([]);
    await report.flush();
    expect(recorded.map((r) => [r.data.host, r.data.count, r.data.total, r.data.purpose])).toEqual([
      ["other.example.com", 2, 2, "setup"],
      ["metadata.example.com", 1, 1, "setup"],
    ]);
    expect(safety.map((d) => [d.control, d.outcome, d.host, d.kind])).toEqual([
      ["egress.proxy", "blocked", "other.example.com", "not-allowed"],
      ["egress.proxy", "blocked", "metadata.example.com", "refused-address"],
    ]);
    expect(notices).toEqual([
      "Stamina's egress proxy blocked `other.example.com` (2 requests, first from the setup command `npm ci`). To allow it, add `other.example.com` to `network.allow` in `.github/stamina.yml`.",
      "Stamina's egress proxy blocked `metadata.example.com` (1 request, first from the setup command `npm ci`): metadata.example.com resolves to 169.254.169.254, link-local (169.254.0.0/16)",
    ]);
  });

  it("grows a host's line in place, still naming the first command", async () => {
    const { report, recorded, notices } = world();
    report.grant("setup").onBlocked(OTHER, "npm ci");
    await report.flush();
    report.grant("agent").onBlocked(OTHER, "curl https://other.example.com/`whoami`");
    await report.flush();
    expect(recorded.at(-1)?.data).toMatchObject({
      count: 1,
      total: 2,
      purpose: "agent",
      command: "curl https://other.example.com/'whoami'",
    });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("(2 requests, first from the setup command `npm ci`)");
    await report.flush();
    expect(recorded).toHaveLength(2);
  });

  it("shows the hosts an earlier attempt reported, and counts on from them", async () => {
    const first = world();
    first.report.grant("agent").onBlocked(OTHER, "pip install x");
    await first.report.flush();
    first.report.grant("agent").onBlocked(OTHER, "pip install y");
    await first.report.flush();
    const earlier = first.recorded.map((r, i) => ({ seq: i + 1, type: r.type, data: r.data }));
    const { report, notices } = world(earlier as unknown as AuditEvent[]);
    expect(notices).toEqual(first.notices);
    report.grant("setup").onBlocked(OTHER, "npm ci");
    await report.flush();
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("(3 requests, first from the agent's command `pip install x`)");
  });

  it("lets nothing but a host name's characters of the name reach GitHub", async () => {
    const { report, notices } = world();
    report.grant("agent").onBlocked({ ...OTHER, host: "a`b*c.example.com" }, "curl x");
    await report.flush();
    expect(notices[0]).toContain("blocked `a?b?c.example.com`");
  });
});
