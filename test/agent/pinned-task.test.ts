// The task survives compaction: the issue and the repository's instructions (with the acceptance
// criteria the issue states) are where nothing removes them, so every prompt the model reads
// carries them: in the system prompt when the API compacts the conversation (`compact_20260112`
// drops every message before its compaction block), in the first message, which every view
// keeps, through our own clearing and compaction. Judged on the prompts the scripted model server
// read; the pinned text is the same bytes every request, so the prompt cache keeps it.
import type Anthropic from "@anthropic-ai/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { CLEARED_NOTE } from "../../src/agent/context/clearing.ts";
import type { RecordedModelRequest } from "../support/model-server/index.ts";
import { promptBlocks, totalTokens } from "../support/model-server/prompt-cache.ts";
import {
  isSummaryRequest,
  longSession,
  readableFiles,
  SESSION_INSTRUCTIONS,
  SESSION_ISSUE,
} from "./context-session.ts";
import { agentFixture, type AgentFixture } from "./fixture.ts";

let fx: AgentFixture | undefined;

afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

/** The system prompt's text as the model read it. */
function systemRead(request: RecordedModelRequest): string {
  const system = request.read?.system;
  if (typeof system === "string") return system;
  return (system ?? []).map((b) => b.text).join("\n");
}

/** The first message's text as the model read it. */
function firstRead(request: RecordedModelRequest): string {
  const first = request.read?.messages[0];
  if (first === undefined) return "";
  if (typeof first.content === "string") return first.content;
  return first.content.map((b) => (b.type === "text" ? b.text : "")).join("\n");
}

function blocksRead(request: RecordedModelRequest): Anthropic.ContentBlockParam[] {
  return (request.read?.messages ?? []).flatMap((m) =>
    typeof m.content === "string" ? [] : m.content,
  );
}

/** Each request, as the model read it, carries the issue and the instructions where `pinned` looks. */
function expectPinned(
  requests: readonly RecordedModelRequest[],
  pinned: (request: RecordedModelRequest) => string,
): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const request of requests) {
    expect(pinned(request)).toContain(SESSION_ISSUE);
    expect(pinned(request)).toContain(SESSION_INSTRUCTIONS);
  }
  // Byte for byte the same system prompt every request, so the cache keeps it.
  const first = JSON.stringify(requests[0]!.sent.system);
  for (const request of requests) expect(JSON.stringify(request.sent.system)).toBe(first);
}

describe("the task pinned", () => {
  it("is in the system prompt of every prompt the model reads after a server-side compaction", async () => {
    fx = agentFixture(readableFiles(30, 8_000), {
      budget: { steps: 100, tokens: 100_000_000, dollars: 1_000 },
      task: SESSION_ISSUE,
      instructions: SESSION_INSTRUCTIONS,
    });
    const result = await fx.run(longSession({ calls: 40, files: 30, planEvery: 10 }), {
      context: { serverSide: true, serverClearAt: 500_000, serverCompactAt: 50_000 },
    });
    expect(result.stop).toBe("completed");
    const requests = fx.server().requests.filter((r) => r.status === 200);
    const compacted = requests.findIndex((r) => r.compacted === true);
    expect(compacted).toBeGreaterThan(0);
    const after = requests.slice(compacted + 1);
    for (const request of after) {
      // The API read nothing before the compaction block: not the first message, nor the issue
      // it used to carry.
      const opening = request.read!.messages[0]!.content as Array<{ type: string }>;
      expect(opening[0]!.type).toBe("compaction");
      expect(JSON.stringify(request.read!.messages)).not.toContain("Acceptance: notes.txt");
    }
    expectPinned(requests, systemRead);
    expectPinned(after, systemRead);
    // The system prompt (tools, rules and task) came from the cache after the compaction too.
    const pinned = totalTokens(promptBlocks({ ...requests[0]!.body, messages: [] }));
    expect(pinned).toBeGreaterThan(0);
    for (const request of after) {
      expect(request.usage!.cache_read_input_tokens).toBeGreaterThanOrEqual(pinned);
    }
  }, 60_000);

  it("opens every prompt the model reads through client-side clearing and compaction", async () => {
    fx = agentFixture(readableFiles(20, 1_600), {
      budget: { steps: 200, tokens: 100_000_000, dollars: 1_000 },
      task: SESSION_ISSUE,
      instructions: SESSION_INSTRUCTIONS,
    });
    const result = await fx.run(longSession({ calls: 100, files: 20, planEvery: 25 }), {
      context: { serverSide: false, compactAt: 12_000, keepToolResults: 6, clearBatch: 8 },
    });
    expect(result.stop).toBe("completed");
    const requests = fx.server().requests.filter((r) => r.status === 200);
    // Both layers ran: results cleared in the view, and the model summarised the conversation.
    const cleared = requests.findIndex((r) =>
      blocksRead(r).some((b) => b.type === "tool_result" && b.content === CLEARED_NOTE),
    );
    expect(cleared).toBeGreaterThan(0);
    const summarised = requests.findIndex(isSummaryRequest);
    expect(summarised).toBeGreaterThan(cleared);
    // The first message every view keeps: the task as given, its opening the same bytes each time.
    expectPinned(requests.slice(cleared), firstRead);
    expectPinned(requests, firstRead);
    const opening = (r: RecordedModelRequest) => {
      const content = r.read!.messages[0]!.content;
      // A string is one text block to the API (and its cache); breakpoints aside.
      return typeof content === "string" ? content : (content[0] as { text: string }).text;
    };
    const task = opening(requests[0]!);
    for (const request of requests) expect(opening(request)).toBe(task);
  }, 60_000);
});
