// A whole agent session for the tests, wired as a local run wires it: a real
// git worktree, the real tools in the sandbox, the real checks runner and
// milestones, and the real Anthropic SDK against the scripted model server.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type Anthropic from "@anthropic-ai/sdk";
import type { Budget } from "../../src/agent/budget.ts";
import type { RequestView } from "../../src/agent/hooks.ts";
import type { AgentResult } from "../../src/agent/loop.ts";
import type { AuditSink, CheckName } from "../../src/agent/ports.ts";
import { renderPrompt, repositoryInstructions } from "../../src/agent/prompts.ts";
import { runSession, systemPrompt, type SessionOptions } from "../../src/agent/session.ts";
import { createAnthropicModel } from "../../src/model/anthropic.ts";
import { DEFAULT_BUDGET } from "../../src/policy/config.ts";
import { createChecksRunner } from "../../src/runs/checks.ts";
import { createMilestones } from "../../src/runs/milestone.ts";
import { workingDiff } from "../../src/workspace/diff.ts";
import { commandEnvironment, createSandbox, type Sandbox } from "../../src/sandbox/sandbox.ts";
import {
  reply,
  startModelServer,
  toolUse,
  type ModelServer,
  type ModelServerOptions,
  type ScriptedMessage,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import { fixtureGit } from "../workspace/helpers.ts";

const KEY = "sk-ant-agent-test-key";

interface RecordedEvent {
  type: string;
  data: Record<string, unknown>;
}

export interface SessionSetup {
  checks?: Partial<Record<CheckName, string>>;
  budget?: Partial<Budget>;
  commandTimeoutMs?: number;
  /** The model the session asks (default claude-sonnet-5-5). */
  model?: string;
  /** Options of the scripted model server (a small context window). */
  server?: Omit<ModelServerOptions, "apiKey">;
  /** The task (the text) the session is given; "Do the task." by default. */
  task?: string;
  /** The repository's instructions (an AGENTS.md), rendered into the task as a run renders them. */
  instructions?: string;
}

export interface AgentFixture {
  dir: string;
  worktree: string;
  outputs: string;
  baseSha: string;
  events: RecordedEvent[];
  server(): ModelServer;
  run(script: ScriptedTurn[], overrides?: Partial<SessionOptions>): Promise<AgentResult>;
  git(...args: string[]): string;
  types(): string[];
  close(): Promise<void>;
}

const BOT = { name: "Stamina test", email: "stamina@example.com" };

/** A worktree holding `files`, committed, with the session wiring around it. */
export function agentFixture(
  files: Record<string, string>,
  setup: SessionSetup = {},
  sandbox: Sandbox = createSandbox({ kind: "process" }),
): AgentFixture {
  const dir = mkdtempSync(join(tmpdir(), "stamina-agent-"));
  const worktree = join(dir, "worktree");
  const outputs = join(dir, "outputs");
  for (const sub of ["worktree", "home", "tmp", "outputs"]) mkdirSync(join(dir, sub));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(worktree, path)), { recursive: true });
    writeFileSync(join(worktree, path), text);
  }
  const git = (...args: string[]) => fixtureGit(worktree, ...args);
  git("init", "--quiet", "--initial-branch=main");
  git("add", "--all");
  git("commit", "--quiet", "--allow-empty", "-m", "initial");
  const baseSha = git("rev-parse", "HEAD").trim();
  const events: RecordedEvent[] = [];
  let server: ModelServer | undefined;

  const audit: AuditSink = {
    record: (type, data) => {
      events.push({ type, data: structuredClone(data) });
      return Promise.resolve();
    },
  };
  const env = commandEnvironment({ home: join(dir, "home"), tmpdir: join(dir, "tmp") });
  const commands = {
    build: setup.checks?.build ?? null,
    test: setup.checks?.test ?? null,
    lint: setup.checks?.lint ?? null,
  };

  return {
    dir,
    worktree,
    outputs,
    baseSha,
    events,
    git,
    server: () => {
      if (!server) throw new Error("no session has run yet");
      return server;
    },
    types: () => events.map((e) => e.type),
    async run(script, overrides = {}) {
      await server?.close();
      server = await startModelServer(script, { ...setup.server, apiKey: KEY });
      const timeoutMs = setup.commandTimeoutMs ?? 20_000;
      return runSession({
        model: createAnthropicModel({
          apiKey: KEY,
          baseURL: server.url,
          model: setup.model ?? "claude-sonnet-5-5",
          maxRetries: 2,
        }),
        audit,
        sandbox,
        worktree,
        outputDir: outputs,
        env,
        commandTimeoutMs: timeoutMs,
        maxTokens: 1_000,
        budget: { ...DEFAULT_BUDGET, ...setup.budget },
        signal: new AbortController().signal,
        system: systemPrompt({
          project: "the fixture",
          workspace: worktree,
          base: baseSha,
          checks: commands,
        }),
        task: renderPrompt("task-local", {
          project: "the fixture",
          task: setup.task ?? "Do the task.",
          instructions: repositoryInstructions(setup.instructions ?? ""),
        }),
        config: { checks: commands },
        checks: createChecksRunner({
          sandbox,
          audit,
          worktree,
          outputDir: outputs,
          env,
          timeoutMs,
          commands,
        }),
        workspace: {
          base: baseSha,
          diff: (signal) => workingDiff(worktree, baseSha, { signal }),
        },
        milestones: createMilestones({
          worktree,
          author: BOT,
          audit,
          auditHead: () => Promise.resolve("0".repeat(64)),
        }),
        // The loop's own tests see the whole transcript; the context manager's tests turn it on.
        context: false,
        ...overrides,
      });
    },
    async close() {
      await server?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A scripted turn that runs one command in bash (with the tool_use id `id`, when given). */
export const bash = (command: string, id?: string): ScriptedMessage =>
  reply(toolUse("bash", { command }, id));

/** The content of the last message of the n-th request the model server received. */
export function lastMessageOf(server: ModelServer, n: number): string {
  return JSON.stringify(server.requests[n]?.body.messages.at(-1));
}

/** The tool results the n-th request carries back, in order. */
export function toolResultsOf(
  server: ModelServer,
  n: number,
): Array<{ tool_use_id: string; is_error?: boolean; content: string }> {
  const content = server.requests[n]?.body.messages.at(-1)?.content;
  if (!Array.isArray(content)) return [];
  return content.filter((b) => b.type === "tool_result") as Array<{
    tool_use_id: string;
    is_error?: boolean;
    content: string;
  }>;
}

const EPHEMERAL: Anthropic.CacheControlEphemeral = { type: "ephemeral" };

/**
 * The naive loop with prompt caching, as any harness runs it: the whole transcript every turn,
 * with one cache breakpoint on the last block of the last message, moved there each request
 * (pass it as the `view`; the context manager is then off). One breakpoint is the whole of it:
 * the API caches by prefix, tools and system first, so a breakpoint on the last block caches them
 * too, and a transcript that only grows never needs another (each step adds a couple of blocks,
 * well inside the 20 the API looks back from a breakpoint for the previous one).
 */
export const naiveCachedView: RequestView = (transcript) => {
  const messages = [...transcript];
  const last = messages.at(-1);
  if (last === undefined) return messages;
  const content: Anthropic.ContentBlockParam[] =
    typeof last.content === "string" ? [{ type: "text", text: last.content }] : [...last.content];
  const end = content.length - 1;
  if (end < 0) return messages;
  content[end] = { ...content[end]!, cache_control: EPHEMERAL } as Anthropic.ContentBlockParam;
  messages[messages.length - 1] = { ...last, content } as Anthropic.MessageParam;
  return messages;
};
