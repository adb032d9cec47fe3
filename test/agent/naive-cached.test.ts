// The tokens benchmark's baseline: a naive loop with prompt caching, as any harness runs it. It
// must send the whole transcript each turn with exactly one cache breakpoint, on the last block of
// the last message, moved there each request, or the cost it is compared against is not the
// strongest fair one. Checked on what the scripted server received.
import type Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { longSession, readableFiles } from "./context-session.ts";
import { agentFixture, naiveCachedView, type AgentFixture } from "./fixture.ts";

let fx: AgentFixture | undefined;

afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** Where each `cache_control` in the request is, as a path of keys and indexes. */
function breakpoints(value: unknown, path: string[] = []): string[] {
  if (typeof value !== "object" || value === null) return [];
  const found: string[] = [];
  for (const [key, inner] of Object.entries(value)) {
    if (key === "cache_control" && inner != null) found.push(path.join("."));
    found.push(...breakpoints(inner, [...path, key]));
  }
  return found;
}

describe("the cached naive baseline", () => {
  it("sends one breakpoint, on the last block of the last message, moving each request", async () => {
    fx = agentFixture(readableFiles(3, 400));
    const result = await fx.run(longSession({ calls: 6, files: 3 }), { view: naiveCachedView });
    expect(result.stop).toBe("completed");
    const requests = fx.server().requests.filter((r) => r.status === 200);
    expect(requests.length).toBeGreaterThanOrEqual(7);
    let previous = -1;
    let transcriptLength = 0;
    for (const [n, request] of requests.entries()) {
      const body = request.body;
      const messages = body.messages;
      // The whole transcript: every earlier request's messages, and more.
      expect(messages.length).toBeGreaterThan(transcriptLength);
      transcriptLength = messages.length;
      const last = messages.length - 1;
      const blocks = messages[last]!.content as Anthropic.ContentBlockParam[];
      expect(breakpoints(body), `request ${n}`).toEqual([
        `messages.${last}.content.${blocks.length - 1}`,
      ]);
      expect(last).toBeGreaterThan(previous);
      previous = last;
      // Each request reads the prefix the one before wrote.
      if (n > 0) expect(request.usage!.cache_read_input_tokens).toBeGreaterThan(0);
      expect(request.usage!.cache_creation_input_tokens).toBeGreaterThan(0);
    }
  });
});
