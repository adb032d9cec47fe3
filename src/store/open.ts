// Opens the store on the configured engine and migrates it: SQLite (a file
// under the data directory, the embedded default) or PostgreSQL.
import type { AuditSigner } from "../audit/signing.ts";
import type { Redactor } from "../observability/redact.ts";
import { openDatabase, type DatabaseTarget } from "./database.ts";
import { Store } from "./store.ts";
import type { AuditObserver } from "./audit-log.ts";

export interface OpenStoreOptions {
  /** Where the data lives; `sqlitePath` is the short form of a SQLite target. */
  database?: DatabaseTarget;
  /** Path of the SQLite file, or ":memory:". */
  sqlitePath?: string;
  redactor: Redactor;
  /** Signs each finished run's audit head; none without an audit key. */
  auditSigner?: AuditSigner;
  clock?: () => Date;
  newId?: () => string;
  /** Told when an idle PostgreSQL connection fails. */
  onIdleError?: (error: Error) => void;
  /** Told of each audit event once it is stored (the process's metrics). */
  onAudit?: AuditObserver;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const target: DatabaseTarget | undefined =
    options.database ??
    (options.sqlitePath === undefined ? undefined : { engine: "sqlite", path: options.sqlitePath });
  if (!target) throw new Error("openStore needs a database or a sqlitePath");
  const { db, engine } = await openDatabase(target, options.onIdleError);
  return new Store({
    db,
    engine,
    redactor: options.redactor,
    auditSigner: options.auditSigner,
    clock: options.clock,
    newId: options.newId,
    onAudit: options.onAudit,
  });
}
