// The prompt cache as the API keeps it, so usage is what a real run would be billed: the prompt
// is read as blocks in the API's order (tools, system, then each message's blocks), each block's
// tokens estimated at four characters a token; a breakpoint (`cache_control`) writes the prefix
// up to it, and a later request reads the longest written prefix it shares, looking back at most
// 20 blocks from each of its breakpoints, as the API does. Nothing expires: tests run in seconds.
import { createHash } from "node:crypto";
import type Anthropic from "@anthropic-ai/sdk";
import { estimateTokens } from "./message.ts";

/** How far back from a breakpoint the API looks for a prefix it has cached. */
const LOOKBACK_BLOCKS = 20;

export interface PromptBlock {
  /** The block as the model reads it: its JSON without `cache_control`. */
  key: string;
  tokens: number;
  breakpoint: boolean;
}

export interface CacheUsage {
  input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

function marked(block: object): boolean {
  return "cache_control" in block && block.cache_control != null;
}

function blockOf(prefix: string, block: object): PromptBlock {
  const { cache_control: _ignored, ...rest } = block as Record<string, unknown>;
  const key = prefix + JSON.stringify(rest);
  return { key, tokens: estimateTokens(key.length), breakpoint: marked(block) };
}

/** The prompt's blocks, in the order the API caches them. */
export function promptBlocks(params: Anthropic.MessageCreateParams): PromptBlock[] {
  const blocks: PromptBlock[] = [];
  for (const tool of params.tools ?? []) blocks.push(blockOf("tool:", tool));
  const system = params.system;
  if (typeof system === "string") blocks.push(blockOf("system:", { type: "text", text: system }));
  else for (const block of system ?? []) blocks.push(blockOf("system:", block));
  for (const message of params.messages) {
    const content =
      typeof message.content === "string"
        ? [{ type: "text", text: message.content }]
        : message.content;
    for (const block of content) blocks.push(blockOf(`${message.role}:`, block));
  }
  // A top-level breakpoint is placed by the API on the last block.
  const last = blocks.at(-1);
  if (params.cache_control != null && last !== undefined) last.breakpoint = true;
  return blocks;
}

export function totalTokens(blocks: readonly PromptBlock[]): number {
  return blocks.reduce((sum, b) => sum + b.tokens, 0);
}

export class PromptCache {
  private readonly written = new Set<string>();

  /** Reads and writes the cache for one request's prompt; returns its usage split three ways. */
  account(model: string, blocks: readonly PromptBlock[]): CacheUsage {
    const hashes: string[] = [];
    const tokensBefore: number[] = [0];
    let hash = createHash("sha256").update(model).digest("hex");
    for (const block of blocks) {
      hash = createHash("sha256").update(hash).update(block.key).digest("hex");
      hashes.push(hash);
      tokensBefore.push((tokensBefore.at(-1) ?? 0) + block.tokens);
    }
    const total = tokensBefore.at(-1) ?? 0;
    const breakpoints = blocks.flatMap((b, i) => (b.breakpoint ? [i] : []));
    if (breakpoints.length === 0) {
      return { input_tokens: total, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };
    }
    // The longest cached prefix that ends within the lookback window of some breakpoint.
    let readEnd = 0; // blocks [0, readEnd) are read from the cache
    for (const point of breakpoints) {
      for (let i = point; i >= Math.max(0, point - LOOKBACK_BLOCKS + 1); i--) {
        if (this.written.has(hashes[i]!)) {
          readEnd = Math.max(readEnd, i + 1);
          break;
        }
      }
    }
    const lastPoint = breakpoints.at(-1)!;
    const writeEnd = Math.max(readEnd, lastPoint + 1);
    for (const point of breakpoints) this.written.add(hashes[point]!);
    const read = tokensBefore[readEnd]!;
    const write = tokensBefore[writeEnd]! - read;
    return {
      input_tokens: total - read - write,
      cache_read_input_tokens: read,
      cache_creation_input_tokens: write,
    };
  }
}
