// Prometheus metrics, end to end on a real process: `stamina all` against the fake GitHub and the
// scripted model does one run, then its /metrics is scraped (behind STAMINA_METRICS_TOKEN),
// parsed with a Prometheus text parser, and its counters checked against the run's own audit
// log: steps, tokens by kind, dollars, tool calls, the run's outcome. No label names a
// repository, a run or a person.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import {
  editFile,
  reply,
  startModelServer,
  text,
  toolUse,
  type ModelServer,
} from "../support/model-server/index.ts";
import { examplePayload, postWebhook, waitFor } from "../support/webhooks.ts";
import { appKeyPair } from "../support/app-keys.ts";
import { appEnv, startAppProcess, type AppProcess } from "../support/app-process.ts";

const keys = appKeyPair();
const WEBHOOK_SECRET = "metrics-webhook-secret-0123456789";
const ANTHROPIC_KEY = "sk-ant-metrics-key-0123456789abcdef";
const METRICS_TOKEN = "metrics-token-0123456789";
const OWNER = "octo-org";
const REPO = "greeter";
const FILES = {
  "greet.txt": "Hello\n",
  ".github/stamina.yml": "test: grep -q Hello, greet.txt\nbudget:\n  steps: 8\n",
};
/** Labels a series may carry: bounded sets, never a repository, a run or a person. */
const ALLOWED_LABELS = new Set([
  "outcome",
  "model",
  "kind",
  "tool",
  "control",
  "state",
  "api",
  "status",
  "le",
  "quantile",
  // prom-client's default process and Node metrics.
  "version",
  "major",
  "minor",
  "patch",
  "space",
  "type",
]);

interface Family {
  name: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: unknown }>;
}

describe("the metrics of a process that did a run", () => {
  let github: FakeGitHub;
  let model: ModelServer;
  let app: AppProcess;
  let dir: string;
  let base = "";

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "stamina-metrics-"));
    github = await startFakeGitHub({ appId: 1, appPublicKeyPem: keys.publicKey });
    github.addInstallation(1, OWNER);
    await github.createRepository({ owner: OWNER, name: REPO, files: FILES, installationId: 1 });
    github.setPermission(OWNER, REPO, "maintainer", "write");
    model = await startModelServer(
      [
        reply(toolUse("bash", { command: "cat greet.txt" })),
        reply(editFile("greet.txt", "Hello", "Hello,")),
        // A tool error: no such file.
        reply(editFile("missing.txt", "a", "b")),
        reply(text("Done: the greeting has its comma.")),
        reply(text("Added the comma.")),
      ],
      { apiKey: ANTHROPIC_KEY },
    );
    app = startAppProcess("all", {
      ...appEnv({
        dir,
        privateKey: keys.privateKey,
        webhookSecret: WEBHOOK_SECRET,
        githubHost: github.host,
        modelKey: ANTHROPIC_KEY,
        modelUrl: model.url,
      }),
      STAMINA_POLL_MS: "200",
      STAMINA_METRICS_TOKEN: METRICS_TOKEN,
    });
    base = new URL(await app.webhookUrl()).origin;
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await model?.close();
    await github?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts what the run's audit log records, behind the token, with bounded labels", async () => {
    const payload = examplePayload<{
      issue: { number: number; title: string; body: string };
      label: { name: string };
      sender: { login: string };
      repository: { name: string; full_name: string; owner: { login: string } };
    }>("issues", "labeled");
    payload.repository.owner.login = OWNER;
    payload.repository.name = REPO;
    payload.repository.full_name = `${OWNER}/${REPO}`;
    payload.issue.number = 1;
    payload.issue.title = "Greeting lacks a comma";
    payload.label.name = "stamina";
    payload.sender.login = "maintainer";
    const post = () =>
      postWebhook({
        url: `${base}/api/github/webhooks`,
        secret: WEBHOOK_SECRET,
        event: "issues",
        payload,
      });
    expect((await post()).status).toBe(202);
    await waitFor(
      () => github.pulls(OWNER, REPO).find((p) => !p.draft),
      "the pull request ready for review",
      60_000,
    );
    // A forged delivery is refused, and counted so.
    const forged = await postWebhook({
      url: `${base}/api/github/webhooks`,
      secret: "not-the-secret",
      event: "issues",
      payload,
    });
    expect(forged.status).toBe(401);

    // The token guards the endpoint.
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: "Bearer nope" } });
    expect(wrong.status).toBe(401);
    const families = await waitFor(async () => {
      const answer = await fetch(`${base}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(answer.status).toBe(200);
      const parsed = parsePrometheusTextFormat(await answer.text()) as Family[];
      const finished = parsed.find((f) => f.name === "stamina_runs_finished_total");
      return finished?.metrics.length ? parsed : undefined;
    }, "the run's end in the metrics");
    const family = (name: string) => {
      const found = families.find((f) => f.name === name);
      if (found === undefined) throw new Error(`no ${name} in the exposition`);
      return found;
    };
    const value = (name: string, labels: Record<string, string> = {}) =>
      family(name)
        .metrics.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
        .reduce((sum, m) => sum + Number(m.value ?? 0), 0);

    // What the run's audit log says it did.
    const db = new Database(join(dir, "data", "stamina.db"), { readonly: true });
    const events = (
      db.prepare("select type, data from audit_events").all() as Array<{
        type: string;
        data: string;
      }>
    ).map((e) => ({ type: e.type, data: JSON.parse(e.data) as Record<string, unknown> }));
    db.close();
    const responses = events.filter((e) => e.type === "model.response");
    const usage = (field: string) =>
      responses.reduce(
        (sum, e) => sum + Number((e.data.usage as Record<string, number>)[field] ?? 0),
        0,
      );
    const tools = events.filter((e) => e.type === "tool.result");

    expect(responses.length).toBe(model.requests.length);
    expect(value("stamina_steps_total")).toBe(responses.length);
    const sonnet = { model: "claude-sonnet-5-5" };
    expect(value("stamina_model_tokens_total", { ...sonnet, kind: "input" })).toBe(
      usage("input_tokens"),
    );
    expect(value("stamina_model_tokens_total", { ...sonnet, kind: "output" })).toBe(
      usage("output_tokens"),
    );
    const cost = responses.reduce((sum, e) => sum + Number(e.data.cost), 0);
    expect(value("stamina_model_cost_dollars_total", sonnet)).toBeCloseTo(cost, 9);
    expect(value("stamina_tool_calls_total")).toBe(tools.length);
    const editor = { tool: "str_replace_based_edit_tool", outcome: "error" };
    expect(value("stamina_tool_calls_total", editor)).toBe(
      tools.filter((t) => t.data.name === editor.tool && t.data.isError === true).length,
    );
    expect(value("stamina_tool_calls_total", editor)).toBeGreaterThan(0);
    expect(value("stamina_runs_finished_total", { outcome: "succeeded" })).toBe(1);
    expect(value("stamina_webhook_deliveries_total", { outcome: "accepted" })).toBe(1);
    expect(value("stamina_webhook_deliveries_total", { outcome: "rejected" })).toBe(1);
    expect(family("stamina_context_sent_tokens").type).toBe("HISTOGRAM");
    expect(family("stamina_queue_wait_seconds").type).toBe("HISTOGRAM");

    const labels = new Set(
      families.flatMap((f) => f.metrics.flatMap((m) => Object.keys(m.labels ?? {}))),
    );
    for (const label of labels) expect(ALLOWED_LABELS, `label ${label}`).toContain(label);
    const exposition = JSON.stringify(families);
    for (const leak of [OWNER, REPO, "maintainer", METRICS_TOKEN])
      expect(exposition).not.toContain(leak);
  }, 120_000);
});
