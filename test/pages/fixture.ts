// What the run pages' in-process tests start from: a real store (SQLite in memory, the audit
// chain hashed and, when asked, signed), the pages' route on a real HTTP server on loopback,
// runs queued as the trigger queues them, and a recorded run's audit events with the shapes
// the agent loop writes (src/agent/turn.ts, context/health.ts, watchdog.ts).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { parsePublicKey, type AuditSigner } from "../../src/audit/signing.ts";
import type { AuditEntry } from "../../src/audit/types.ts";
import { createRedactor } from "../../src/observability/redact.ts";
import type { PageGate } from "../../src/pages/gate.ts";
import { localGate } from "../../src/pages/local-gate.ts";
import { pageRoutes } from "../../src/pages/routes.ts";
import { parseRepoConfig } from "../../src/policy/config.ts";
import { openStore } from "../../src/store/open.ts";
import type { Store } from "../../src/store/store.ts";
import type { AgentOutcome, Run } from "../../src/store/types.ts";

export interface PagesWorld {
  store: Store;
  url: string;
  /** Moves the store's clock (runs are listed newest first by it). */
  tick(ms: number): void;
  queue(repository: string, issue: number, title?: string): Promise<Run>;
  close(): Promise<void>;
}

let deliveries = 0;

export async function startPages(
  options: { gate?: PageGate; signer?: AuditSigner; secret?: string } = {},
): Promise<PagesWorld> {
  let clock = Date.parse("2026-11-21T10:00:00Z");
  const store = await openStore({
    sqlitePath: ":memory:",
    redactor: createRedactor(options.secret === undefined ? [] : [options.secret]),
    clock: () => new Date(clock),
    ...(options.signer ? { auditSigner: options.signer } : {}),
  });
  const route = pageRoutes({
    store,
    gate: options.gate ?? localGate(),
    log: pino({ level: "silent" }),
    now: () => clock,
    pollMs: 50,
    ...(options.signer ? { auditKey: parsePublicKey(options.signer.publicKey) } : {}),
  });
  const server: Server = createServer((req, res) => {
    void route(req, res).then((answered) => {
      if (!answered) res.writeHead(404).end("not a page");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    store,
    url: `http://127.0.0.1:${port}`,
    tick: (ms) => (clock += ms),
    async queue(repository, issue, title = `Issue ${issue}`) {
      const [owner = "", repo = ""] = repository.split("/");
      const result = await store.runs.create({
        installationId: 1,
        owner,
        repo,
        issueNumber: issue,
        issueTitle: title,
        issueBody: "greet() should say `Hello, NAME!`",
        requestedBy: "maintainer",
        deliveryId: `pages-${++deliveries}`,
        config: parseRepoConfig({}),
      });
      if (!result.created) throw new Error(`expected a new run on ${repository}#${issue}`);
      clock += 1000;
      return result.run;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
    },
  };
}

/** How the agent's loop ended, as a finished run keeps it (only the fields the pages read). */
export function stopped(stop: AgentOutcome["stop"]): AgentOutcome {
  return { stop } as AgentOutcome;
}

let ids = 0;

function toolCall(
  step: number,
  name: string,
  input: Record<string, unknown>,
  isError = false,
): AuditEntry[] {
  const id = `toolu_${++ids}`;
  return [
    { type: "tool.call", data: { step, id, name, input } },
    { type: "tool.result", data: { step, id, name, isError, output: isError ? "failed" : "ok" } },
  ];
}

function modelTurn(step: number, inputTokens: number, cost: number): AuditEntry[] {
  return [
    { type: "model.request", data: { step, messages: step * 2, model: "claude-sonnet-5-5" } },
    {
      type: "model.response",
      data: {
        step,
        stopReason: "tool_use",
        usage: { input_tokens: inputTokens, output_tokens: 100 },
        cost,
        text: "",
        toolCalls: [],
      },
    },
  ];
}

function contextHealth(step: number, compactions: number): AuditEntry {
  const bytes = 4000 * step;
  return {
    type: "context.health",
    data: {
      step,
      sent: {
        unit: "bytes of JSON; tokens estimated as bytes / 4",
        bytes,
        estimatedTokens: bytes / 4,
        messages: step * 2,
      },
      tokens: { input: 1000 * step, output: 100, cacheRead: 0, cacheWrite: 0 },
      tools: { calls: 1, errors: 0 },
      compactions,
      clearings: 0,
    },
  };
}

/**
 * A recorded six-step run whose drift, errors and compactions are scripted: the plan names
 * greet.js, step 2 edits greet.js (in scope) and step 3 edits build.sh (outside the issue and
 * the plan), steps 3 and 4 each have a failing command, step 4's request was compacted, and
 * step 5 has a watchdog signal. `hostile` is put where an event's text is shown.
 */
export function recordedRun(hostile: string): AuditEntry[] {
  const entries: AuditEntry[] = [
    {
      type: "agent.start",
      data: {
        model: "claude-sonnet-5-5",
        maxSteps: 50,
        task: "<issue_title>Greeting</issue_title><issue_body>greet() should say Hello, NAME!</issue_body>",
      },
    },
  ];
  const step = (n: number, ...rest: AuditEntry[][]) => {
    entries.push(...modelTurn(n, 1000 * n, 0.01 * n), ...rest.flat());
  };
  step(1, toolCall(1, "update_plan", { plan: [{ step: "Fix greet.js", status: "in_progress" }] }));
  entries.push(contextHealth(1, 0));
  step(
    2,
    toolCall(2, "str_replace_based_edit_tool", {
      command: "str_replace",
      path: "greet.js",
      old_str: "`Hello ${name}`",
      new_str: "`Hello, ${name}!`",
    }),
  );
  entries.push(contextHealth(2, 0));
  step(
    3,
    toolCall(3, "str_replace_based_edit_tool", {
      command: "create",
      path: "build.sh",
      file_text: hostile,
    }),
    toolCall(3, "bash", { command: "npm test" }, true),
  );
  entries.push(contextHealth(3, 0));
  entries.push({ type: "agent.phase", data: { step: 3, from: "implement", to: "verify" } });
  step(4, toolCall(4, "bash", { command: "npm test -- --verbose" }, true));
  entries.push(contextHealth(4, 1));
  step(5, toolCall(5, "bash", { command: `echo ${JSON.stringify(hostile)}` }));
  entries.push({
    type: "watchdog.signal",
    data: { step: 5, rule: "error_rate", message: hostile },
  });
  entries.push(contextHealth(5, 1));
  step(6, toolCall(6, "checkpoint", { message: "Greet politely" }));
  entries.push({
    type: "git.commit",
    data: { sha: "a".repeat(40), reason: "verified" },
  });
  entries.push({
    type: "verify.result",
    data: {
      phase: "verify",
      configured: true,
      passed: true,
      checks: [{ name: "test", command: "npm test", passed: true, exitCode: 0, timedOut: false }],
    },
  });
  entries.push(contextHealth(6, 1));
  return entries;
}
