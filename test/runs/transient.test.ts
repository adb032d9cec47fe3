// Which failures are retried later: the SDK's own errors for an overloaded or
// unreachable model, Octokit's for GitHub's server errors, git's network
// errors; never a refusal that would fail the same way again.
import { createServer, type Server } from "node:http";
import Anthropic from "@anthropic-ai/sdk";
import { Octokit } from "@octokit/rest";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retryDelayMs, transientCause } from "../../src/runs/transient.ts";
import { GitError } from "../../src/workspace/git-run.ts";

let server: Server;
let url = "";
beforeAll(async () => {
  // Answers with the status the path names: /status/502, /status/404 …
  server = createServer((req, res) => {
    const status = Number(/\/status\/(\d+)/.exec(req.url ?? "")?.[1] ?? 500);
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify({ type: "error", error: { type: "x", message: "scripted" } }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function modelError(status: number): Promise<unknown> {
  const client = new Anthropic({
    apiKey: "sk-ant-x",
    baseURL: `${url}/status/${status}`,
    maxRetries: 0,
  });
  return client.messages
    .create({
      model: "claude-sonnet-5-5",
      max_tokens: 1,
      messages: [{ role: "user", content: "x" }],
    })
    .then(
      () => undefined,
      (error: unknown) => error,
    );
}

async function githubError(status: number | "unreachable"): Promise<unknown> {
  const baseUrl = status === "unreachable" ? "http://127.0.0.1:9" : `${url}/status/${status}`;
  const quiet = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  return new Octokit({ baseUrl, log: quiet }).rest.meta.root().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("transient failures", () => {
  it("are the model's 529, 429 and 5xx, and an unreachable model", async () => {
    expect(transientCause(await modelError(529))).toBe("the model was overloaded (529)");
    expect(transientCause(await modelError(429))).toBe("the model's rate limit was reached (429)");
    expect(transientCause(await modelError(503))).toBe("the model's API answered 503");
    const unreachable = new Anthropic({
      apiKey: "sk-ant-x",
      baseURL: "http://127.0.0.1:9",
      maxRetries: 0,
    });
    const error = await unreachable.messages
      .create({ model: "m", max_tokens: 1, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    expect(transientCause(error)).toBe("the model's API could not be reached");
  });

  it("are GitHub's 5xx and an unreachable GitHub, also when wrapped", async () => {
    expect(transientCause(await githubError(502))).toBe("GitHub answered 502");
    expect(transientCause(await githubError("unreachable"))).toBe("GitHub could not be reached");
    const wrapped = new Error("could not comment", { cause: await githubError(503) });
    expect(transientCause(wrapped)).toBe("GitHub answered 503");
  });

  it("are git's network failures", () => {
    const stalled = new GitError(
      "push",
      "git push failed with exit code 128: fatal: unable to access 'x': Could not resolve host: github.com",
      128,
      "",
    );
    expect(transientCause(stalled)).toBe("git could not reach GitHub (push)");
    const http = new GitError(
      "fetch",
      "git fetch failed",
      128,
      "error: RPC failed; HTTP 502 curl 22 The requested URL returned error: 502",
    );
    expect(transientCause(http)).toBe("git could not reach GitHub (fetch)");
  });

  it("are not refusals, bad requests, git's own errors or anything else", async () => {
    expect(transientCause(await modelError(400))).toBeNull();
    expect(transientCause(await modelError(401))).toBeNull();
    expect(transientCause(await githubError(404))).toBeNull();
    expect(transientCause(await githubError(422))).toBeNull();
    expect(
      transientCause(
        new GitError("push", "git push failed: ! [rejected] (non-fast-forward)", 1, ""),
      ),
    ).toBeNull();
    expect(transientCause(new Error("boom"))).toBeNull();
    expect(transientCause("a string")).toBeNull();
  });
});

describe("the retry delay", () => {
  it("doubles from the base up to the maximum, with at most 20% jitter", () => {
    const schedule = { limit: 5, baseMs: 30_000, maxMs: 300_000 };
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(schedule, n, () => 0))).toEqual([
      30_000, 60_000, 120_000, 240_000, 300_000, 300_000,
    ]);
    expect(retryDelayMs(schedule, 1, () => 1)).toBe(36_000);
  });
});
