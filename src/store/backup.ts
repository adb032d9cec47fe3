// `stamina db backup` on SQLite: a copy of the database taken with SQLite's online backup API.
// Safe while Stamina runs: in WAL mode the copy is the database as one read transaction saw
// it, writers going on meanwhile, where copying the file (without its -wal, or while a
// checkpoint moves pages into it) can give a database that is missing commits or is corrupt.
import SQLite from "better-sqlite3";

/** Pages per step of the backup: all of them, so the copy is one snapshot however busy the writers. */
const ALL_PAGES = 0x7fffffff;

export interface SqliteBackup {
  pages: number;
  /** `ok`, else what SQLite's integrity check found wrong in the copy. */
  integrity: string;
}

export async function backupSqlite(path: string, file: string): Promise<SqliteBackup> {
  const db = new SQLite(path, { readonly: true, fileMustExist: true });
  let pages: number;
  try {
    // Copying a step at a time would start over whenever another process writes meanwhile.
    ({ totalPages: pages } = await db.backup(file, { progress: () => ALL_PAGES }));
  } finally {
    db.close();
  }
  const copy = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const found = copy.pragma("integrity_check", { simple: false }) as Array<{
      integrity_check: string;
    }>;
    return { pages, integrity: found.map((r) => r.integrity_check).join("; ") };
  } finally {
    copy.close();
  }
}
