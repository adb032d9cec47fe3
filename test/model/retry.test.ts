// The model port's retries, through the real SDK against the scripted server: an overloaded,
// rate-limited or unreachable model is asked again with the same request, for as long as the
// window allows, on an injected clock, and the SDK's own error comes back when it closes.
import Anthropic, { APIConnectionError, APIUserAbortError } from "@anthropic-ai/sdk";
import type { APIError } from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import type { ModelRetry } from "../../src/model/types.ts";
import { createAnthropicModel } from "../../src/model/anthropic.ts";
import type { RetryPolicy } from "../../src/model/retry.ts";
import { reply, startModelServer, text } from "../support/model-server/index.ts";
import type { ModelServer, ScriptedError, ScriptedTurn } from "../support/model-server/index.ts";
import { stuckClock, testClock } from "../support/retry-clock.ts";
import type { TestClock } from "../support/retry-clock.ts";
import { failureOf, MODEL_REQUEST as REQUEST } from "../support/model-request.ts";

const KEY = "sk-ant-retry-test";
const MINUTE = 60_000;
const OVERLOADED: ScriptedError = {
  status: 529,
  errorType: "overloaded_error",
  message: "Overloaded",
};

let server: ModelServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function modelFor(
  script: ScriptedTurn[],
  retry: Partial<RetryPolicy>,
  streamIdleMs?: number,
) {
  server = await startModelServer(script, { apiKey: KEY });
  return createAnthropicModel({
    apiKey: KEY,
    baseURL: server.url,
    model: "claude-sonnet-5-5",
    retry: { random: () => 0.5, ...retry },
    streamIdleMs,
  });
}

describe("model retries", () => {
  it("rides out 529 for five minutes of injected time, then returns the answer to the same request", async () => {
    const clock = testClock();
    const start = clock.now();
    const storm: ScriptedTurn = () =>
      clock.now() - start < 5 * MINUTE ? OVERLOADED : reply(text("Back."));
    const retries: ModelRetry[] = [];
    const model = await modelFor(
      Array.from({ length: 50 }, () => storm),
      { clock },
    );

    const message = await model.complete(REQUEST, undefined, {
      onRetry: (r) => void retries.push(r),
    });

    expect(message.content).toMatchObject([{ type: "text", text: "Back." }]);
    expect(clock.now() - start).toBeGreaterThanOrEqual(5 * MINUTE);
    const statuses = server!.requests.map((r) => r.status);
    expect(statuses.at(-1)).toBe(200);
    expect(statuses.slice(0, -1).every((s) => s === 529)).toBe(true);
    // Exponential backoff with jitter (0.5 → three quarters of the ceiling), capped at a minute.
    expect(clock.waits.slice(0, 7)).toEqual([750, 1_500, 3_000, 6_000, 12_000, 24_000, 45_000]);
    expect(Math.max(...clock.waits)).toBe(45_000);
    expect(retries.map((r) => r.attempt)).toEqual(clock.waits.map((_, i) => i + 1));
    expect(retries[0]).toMatchObject({ status: 529, errorType: "overloaded_error", waitMs: 750 });
    // The run keeps its place: every attempt sent the very same request.
    const bodies = server!.requests.map((r) => JSON.stringify(r.sent));
    expect(new Set(bodies).size).toBe(1);
  });

  it("waits what retry-after-ms, retry-after and a retry-after date ask for", async () => {
    const clock = testClock();
    const limited = (headers: Record<string, string>): ScriptedError => ({
      status: 429,
      errorType: "rate_limit_error",
      message: "Rate limited",
      headers,
    });
    const model = await modelFor(
      [
        limited({ "retry-after-ms": "1500", "retry-after": "9" }),
        limited({ "retry-after": "7" }),
        // An HTTP date, read against the injected clock: 8.5 s on by then, so 90.5 s to wait.
        limited({ "retry-after": new Date(clock.now() + 99_000).toUTCString() }),
        reply(text("ok")),
      ],
      { clock },
    );

    await model.complete(REQUEST);

    expect(clock.waits.slice(0, 2)).toEqual([1_500, 7_000]);
    expect(clock.waits[2]).toBe(90_500);
  });

  it("gives up when the window closes, rethrowing the SDK's own error", async () => {
    const clock = testClock();
    const model = await modelFor(
      Array.from({ length: 40 }, () => OVERLOADED),
      { clock, windowMs: 2 * MINUTE },
    );

    const error = await failureOf(model.complete(REQUEST));

    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect((error as APIError).status).toBe(529);
    expect(clock.waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(2 * MINUTE);
    // The last wait was cut to what the window had left, and one more attempt followed it.
    expect(clock.waits.reduce((a, b) => a + b, 0)).toBe(2 * MINUTE);
    expect(server!.requests).toHaveLength(clock.waits.length + 1);
  });

  it("does not wait past the window for a server that asks for longer", async () => {
    const clock = testClock();
    const model = await modelFor(
      [
        {
          ...OVERLOADED,
          status: 429,
          errorType: "rate_limit_error",
          headers: { "retry-after": "3600" },
        },
      ],
      { clock, windowMs: 15 * MINUTE },
    );

    const error = await failureOf(model.complete(REQUEST));

    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect(clock.waits).toEqual([]);
  });

  it("retries an overload reported inside the stream and a stream that breaks off", async () => {
    const clock = testClock();
    const model = await modelFor(
      [
        {
          ...reply(text("never finished")),
          breakAfter: { events: 2, error: { type: "overloaded_error", message: "Overloaded" } },
        },
        { ...reply(text("cut")), breakAfter: { events: 3 } },
        reply(text("Whole.")),
      ],
      { clock },
    );
    const retries: ModelRetry[] = [];

    const message = await model.complete(REQUEST, undefined, {
      onRetry: (r) => void retries.push(r),
    });

    expect(message.content).toMatchObject([{ text: "Whole." }]);
    expect(retries.map((r) => [r.status, r.errorType])).toEqual([
      [undefined, "overloaded_error"],
      [undefined, undefined],
    ]);
    expect(retries[1]!.message).toMatch(/stream broke off/);
  });

  it("drops a stream that goes silent without closing, and asks again", async () => {
    const clock = testClock();
    // A short silence limit, in real time: the stalled stream never closes by itself.
    const model = await modelFor(
      [
        { ...reply(text("stalled")), breakAfter: { events: 3, stall: true } },
        reply(text("Awake.")),
      ],
      { clock },
      200,
    );
    const retries: ModelRetry[] = [];

    const message = await model.complete(REQUEST, undefined, {
      onRetry: (r) => void retries.push(r),
    });

    expect(message.content).toMatchObject([{ text: "Awake." }]);
    expect(retries).toHaveLength(1);
    expect(retries[0]!.message).toMatch(/sent nothing for 200 ms/);
  });

  it("rethrows an APIConnectionError once an unreachable model's window closes", async () => {
    const clock = testClock();
    const model = await modelFor([], { clock, windowMs: 5 * MINUTE });
    await server!.close();
    server = undefined;

    const error = await failureOf(model.complete(REQUEST));

    expect(error).toBeInstanceOf(APIConnectionError);
    expect(clock.waits.length).toBeGreaterThan(3);
  });

  it("does not retry what retrying cannot fix: a bad request, a wrong key, x-should-retry: false", async () => {
    const clock = testClock();
    const model = await modelFor(
      [
        { status: 400, errorType: "invalid_request_error", message: "bad" },
        { status: 401, errorType: "authentication_error", message: "invalid x-api-key" },
        {
          status: 500,
          errorType: "api_error",
          message: "no",
          headers: { "x-should-retry": "false" },
        },
      ],
      { clock },
    );

    expect(await failureOf(model.complete(REQUEST))).toBeInstanceOf(Anthropic.BadRequestError);
    expect(await failureOf(model.complete(REQUEST))).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(await failureOf(model.complete(REQUEST))).toBeInstanceOf(Anthropic.InternalServerError);
    expect(clock.waits).toEqual([]);
    expect(server!.requests).toHaveLength(3);
  });

  it("stops waiting the moment the run is aborted, and sends nothing more", async () => {
    const clock: TestClock = stuckClock();
    const controller = new AbortController();
    const model = await modelFor([OVERLOADED, reply(text("too late"))], { clock });

    const error = await failureOf(
      model.complete(REQUEST, controller.signal, {
        // The abort lands while the (never-ending) wait is under way.
        onRetry: () => void setImmediate(() => controller.abort()),
      }),
    );

    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(clock.waits).toHaveLength(1);
    expect(server!.requests).toHaveLength(1);
  });

  it("stops after maxRetries even while the window is open", async () => {
    const clock = testClock();
    const model = await modelFor([OVERLOADED, OVERLOADED, OVERLOADED, reply(text("late"))], {
      clock,
      maxRetries: 2,
    });

    expect(await failureOf(model.complete(REQUEST))).toBeInstanceOf(Anthropic.InternalServerError);
    expect(server!.requests).toHaveLength(3);
  });
});
