// The store contract on SQLite: a database file per test, so that a second
// store (a second process, as far as SQLite is concerned) shares it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../src/store/open.ts";
import { storeContract, type StoreFactory } from "./store-contract.ts";

let dir = "";
const factory: StoreFactory = {
  concurrentConnections: false,
  create: () => {
    dir = mkdtempSync(join(tmpdir(), "stamina-store-"));
    return Promise.resolve();
  },
  open: ({ clock, redactor }) =>
    openStore({ sqlitePath: join(dir, "stamina.db"), clock, redactor }),
  destroy: () => {
    rmSync(dir, { recursive: true, force: true });
    return Promise.resolve();
  },
};
storeContract("SQLite", factory);
