// The audit log of a local run, written as it goes: one JSONL line per event,
// redacted, hash-chained exactly as the store chains a run's events, so
// `stamina audit verify` and `stamina replay` read it like an exported log.
import { open, type FileHandle } from "node:fs/promises";
import type { Redactor } from "../observability/redact.ts";
import { appendEvent } from "./chain.ts";
import { toJsonl } from "./jsonl.ts";
import type { AuditEvent } from "./types.ts";

export interface AuditFileOptions {
  path: string;
  runId: string;
  redactor: Redactor;
  /** ISO timestamps; injected in tests. */
  now?: () => string;
  /** Called with each event once it is on disk (progress printing). */
  onEvent?: (event: AuditEvent) => void;
}

export class AuditFile {
  private last: AuditEvent | undefined;
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly handle: FileHandle,
    private readonly options: AuditFileOptions,
  ) {}

  /** Creates the file; an existing one is never appended to or overwritten. */
  static async create(options: AuditFileOptions): Promise<AuditFile> {
    return new AuditFile(await open(options.path, "wx", 0o600), options);
  }

  /** The hash of the last event, the value a commit's `Stamina-Audit` trailer carries. */
  get head(): string | undefined {
    return this.last?.hash;
  }

  get count(): number {
    return this.last?.seq ?? 0;
  }

  /** Appends one event; events are written in the order they were recorded. */
  record(type: string, data: Record<string, unknown>): Promise<void> {
    const { redactor, runId, now } = this.options;
    const event = appendEvent(
      this.last,
      runId,
      { type, data: redactor.redactValue(data) },
      now ? now() : new Date().toISOString(),
    );
    this.last = event;
    const written = this.writing.then(async () => {
      await this.handle.appendFile(toJsonl([event]));
      this.options.onEvent?.(event);
    });
    this.writing = written.catch(() => undefined);
    return written;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.handle.close();
  }
}
