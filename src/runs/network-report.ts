// What the egress proxy refused during a run, reported: each blocked host, per
// command, as a `network.blocked` audit event (name, count, which command),
// and one line per host on the tracking comment and the pull request body,
// with the config line that would allow it. A resumed attempt picks up the
// hosts its earlier attempts reported, so the pull request lists them all.
import type { AuditSink } from "../agent/ports.ts";
import { safetyEvent } from "../audit/safety.ts";
import type { AuditEvent } from "../audit/types.ts";
import type { BlockedRequest, NetworkGrant } from "../sandbox/sandbox.ts";

type NetworkPurpose = "setup" | "agent";

export interface NetworkReport {
  /** The grant for one purpose's commands: the repository's hosts, and its blocked requests here. */
  grant(purpose: NetworkPurpose): NetworkGrant;
  /** Records what was blocked since the last flush; call it after each setup command and step. */
  flush(): Promise<void>;
}

interface Pending {
  blocked: BlockedRequest;
  command: string;
  purpose: NetworkPurpose;
  count: number;
}

interface First {
  command: string;
  purpose: NetworkPurpose;
}

interface HostTotal {
  count: number;
  notice: string;
  /** The command that asked for the host first: the line keeps naming it as its count grows. */
  first: First;
}

/** A blocked host's line on GitHub, with what would allow it (when anything can). */
function blockedNotice(
  blocked: Pick<BlockedRequest, "host" | "kind" | "reason">,
  total: number,
  first: First,
): string {
  const requests = total === 1 ? "1 request" : `${total.toLocaleString("en-US")} requests`;
  const by = first.purpose === "setup" ? "the setup command" : "the agent's command";
  // The name is the command's choice: nothing of it but a host name's characters reaches GitHub.
  const host = blocked.host.replace(/[^a-z0-9.:[\]-]/gi, "?");
  const what = `Stamina's egress proxy blocked \`${host}\` (${requests}, first from ${by} \`${shortCommand(first.command)}\`)`;
  if (blocked.kind === "not-allowed") {
    return `${what}. To allow it, add \`${host}\` to \`network.allow\` in \`.github/stamina.yml\`.`;
  }
  return `${what}: ${blocked.reason}`;
}

export interface NetworkReportOptions {
  audit: AuditSink;
  /** The repository config's `network.allow`. */
  allow: readonly string[];
  /** Shows a host's line on the run's texts, in place of its earlier line. */
  show?: (text: string, replaces?: string) => void;
  /** The run's audit log so far: hosts an earlier attempt reported stay on the run's texts. */
  earlier?: readonly AuditEvent[];
}

export function openNetworkReport(options: NetworkReportOptions): NetworkReport {
  const { audit, allow } = options;
  const show = options.show ?? (() => undefined);
  const totals = new Map<string, HostTotal>();
  for (const event of options.earlier ?? []) {
    if (event.type !== "network.blocked") continue;
    const { host, total, notice, first } = event.data as unknown as HostTotal & {
      host: string;
      total: number;
    };
    const previous = totals.get(host)?.notice;
    totals.set(host, { count: total, notice, first });
    show(notice, previous);
  }
  let pending = new Map<string, Pending>();
  return {
    grant(purpose) {
      return {
        allow,
        onBlocked(blocked, command) {
          const key = JSON.stringify([blocked.host, blocked.kind, command, purpose]);
          const seen = pending.get(key);
          if (seen) seen.count += 1;
          else pending.set(key, { blocked, command, purpose, count: 1 });
        },
      };
    },
    async flush() {
      const batch = [...pending.values()];
      pending = new Map();
      for (const { blocked, command, purpose, count } of batch) {
        if (blocked.kind === "bad-request") {
          // A program that does not speak HTTP proxy: the log's, not a host to allow.
          const data = { ...blocked, count, purpose, command: shortCommand(command, 2_000) };
          await audit.record("network.refused", data);
          await recordSafety(audit, blocked, purpose, "a request that does not speak HTTP proxy");
          continue;
        }
        const before = totals.get(blocked.host);
        const total = (before?.count ?? 0) + count;
        const first = before?.first ?? { command: shortCommand(command), purpose };
        const notice = blockedNotice(blocked, total, first);
        totals.set(blocked.host, { count: total, notice, first });
        show(notice, before?.notice);
        await audit.record("network.blocked", {
          host: blocked.host,
          port: blocked.port,
          kind: blocked.kind,
          reason: blocked.reason,
          count,
          total,
          purpose,
          command: shortCommand(command, 2_000),
          first,
          notice,
        });
        await recordSafety(audit, blocked, purpose, blocked.reason);
      }
    },
  };
}

/** The `safety` event of a refusal: the proxy stopped a command's request. */
function recordSafety(
  audit: AuditSink,
  blocked: BlockedRequest,
  purpose: NetworkPurpose,
  why: string,
): Promise<void> {
  const host = blocked.host.replace(/[^a-z0-9.:[\]-]/gi, "?");
  const { type, data } = safetyEvent({
    control: "egress.proxy",
    outcome: "blocked",
    detail: `The egress proxy refused a request of the ${purpose === "setup" ? "setup" : "agent's"} command to \`${host}\`: ${why}`,
    host: blocked.host,
    kind: blocked.kind,
    purpose,
  });
  return audit.record(type, data);
}

/** A command as one line, cut to `max` characters, with no backtick to break the code span. */
function shortCommand(command: string, max = 80): string {
  const line = command.replace(/\s+/g, " ").replace(/`/g, "'").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
