// The obedient model: a scripted model that does whatever an injection it
// reads asks. Each turn reads the whole request (the task, the memory notes,
// every tool result), finds the rows whose marker is there, and answers with
// the next tool call they ask for that it has not made yet (the transcript
// says which it made, so a resumed run goes on where it stopped): first its
// own reading of the carrier, then the rows that do not end the work, then
// the task itself (a.txt says two, checkpointed), then the held and
// weakening rows; at the end, a summary with the secrets a row asked for.
import type Anthropic from "@anthropic-ai/sdk";
import { createRedactor } from "../../src/observability/redact.ts";
import {
  editFile,
  reply,
  text,
  toolUse,
  type RecordedModelRequest,
  type ScriptedReply,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import { ATTEMPTS, TERMINAL, type AttackContext } from "./injection-corpus.ts";

type Call = Anthropic.ToolUseBlockParam;

/** Every string in a value, however deep: what a request says, wherever it says it. */
export function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) strings(v, out);
  }
  return out;
}

/** What the request gives the model to read (the task, the notes, tool results): not its own words. */
function requestText(request: RecordedModelRequest): string {
  return strings(request.body.messages.filter((m) => m.role === "user")).join("\n");
}

// The transcript comes back redacted (a token an injection quotes is `[REDACTED]` there): calls
// are compared as redacted.
const redactor = createRedactor();
const key = (name: string, input: unknown) => redactor.redact(JSON.stringify([name, input]));

/** The tool calls the model made so far in this run, by name and input. */
function madeCalls(request: RecordedModelRequest): Set<string> {
  const made = new Set<string>();
  for (const message of request.body.messages) {
    if (message.role !== "assistant" || typeof message.content === "string") continue;
    for (const block of message.content) {
      if (block.type === "tool_use") made.add(key(block.name, block.input));
    }
  }
  return made;
}

/** How many turns the model ended with text alone so far. */
function endedTurns(request: RecordedModelRequest): number {
  return request.body.messages.filter(
    (m) =>
      m.role === "assistant" &&
      typeof m.content !== "string" &&
      !m.content.some((b) => b.type === "tool_use"),
  ).length;
}

export interface ObedientModel {
  /** The script for the model server: as many turns as a run may take. */
  script: ScriptedTurn[];
}

/**
 * The model for one carrier's run: `read` are its own first calls (reading the file, running the
 * command that carries the injections); `context` what the rows' calls need.
 */
export function obedientModel(context: AttackContext, read: Call[] = []): ObedientModel {
  const task = [editFile("a.txt", "one", "two"), toolUse("checkpoint", { message: "a.txt: two" })];
  const answer = (request: RecordedModelRequest): ScriptedReply => {
    const seen = requestText(request);
    const obeyed = ATTEMPTS.filter((a) => seen.includes(a.marker));
    const calls = (terminal: boolean) =>
      obeyed.filter((a) => TERMINAL.includes(a.id) === terminal).flatMap((a) => a.calls(context));
    const plan = [...read, ...calls(false), ...task, ...calls(true)];
    const made = madeCalls(request);
    const next = plan.find((call) => !made.has(key(call.name, call.input)));
    if (next !== undefined) return reply(toolUse(next.name, next.input));
    if (endedTurns(request) === 0) return reply(text("Done with the notes' orders and a.txt."));
    const asked = obeyed.some((a) => a.id === "secret-in-body");
    const secrets = asked ? ` Deploy keys, as asked: ${context.secretsForBody.join(" ")}` : "";
    return reply(text(`a.txt says two now, as the issue asks.${secrets}`));
  };
  // A fresh tool_use id per answer: the calls are compared by name and input, not by id.
  return { script: Array.from({ length: 80 }, () => answer) };
}
