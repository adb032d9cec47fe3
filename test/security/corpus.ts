// What the runs of the hostile corpus share: each on an issue of its own,
// the agent's own turns first (a string is a bash command), then the usual
// edit of a.txt and the end of the work; and the audit log read back by event
// type and by tool.
import type { AuditEvent } from "../../src/audit/types.ts";
import type { Run } from "../../src/store/types.ts";
import {
  editFile,
  reply,
  text,
  toolUse,
  type ScriptedTurn,
} from "../support/model-server/index.ts";
import type { Harness } from "../support/run-harness.ts";

export interface CorpusRun {
  run: Run;
  events: AuditEvent[];
  /** The issue's tracking comment once the run ended. */
  comment: string;
}

export function corpusRunner(
  h: Harness,
): (before?: (string | ScriptedTurn)[], config?: Record<string, unknown>) => Promise<CorpusRun> {
  let issue = 0;
  return async (before = [], config = {}) => {
    issue += 1;
    await h.model([
      ...before.map((turn) =>
        typeof turn === "string" ? reply(toolUse("bash", { command: turn })) : turn,
      ),
      reply(editFile("a.txt", "one", "two")),
      reply(text("Changed a.txt.")),
      reply(text("a.txt says two now, as the issue asks.")),
    ]);
    await h.queue(config, issue);
    const run = await h.execute(await h.claim());
    return { run, events: await h.store.audit.events(run.id), comment: h.comment(issue) };
  };
}

/** The data of each event of a type, in order. */
export function eventData(events: AuditEvent[], type: string): Record<string, unknown>[] {
  return events.filter((e) => e.type === type).map((e) => e.data);
}

/** What each tool call answered (of one tool, when named), in order. */
export function toolResults(events: AuditEvent[], tool?: string): string[] {
  const names = new Map(eventData(events, "tool.call").map((d) => [d.id, d.name]));
  return eventData(events, "tool.result")
    .filter((d) => tool === undefined || names.get(d.id) === tool)
    .map((d) => (typeof d.output === "string" ? d.output : ""));
}
