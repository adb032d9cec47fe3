// Two workers racing for an installation's last dollar on SQLite: two processes, each with its
// own connection to one database file (as two `stamina worker`s on one machine are), reserve
// 0.60 of the one dollar left in each round at the same instant. Exactly one may have it.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { createRedactor } from "../../src/observability/redact.ts";
import { openStore } from "../../src/store/open.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "stamina-spend-race-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("lets only one of two processes racing for the last dollar have it", async () => {
  const path = join(dir, "stamina.db");
  // Migrated once, before the racers open it.
  await (
    await openStore({ database: { engine: "sqlite", path }, redactor: createRedactor([]) })
  ).close();
  const rounds = 20;
  const startAt = Date.now() + 3000;
  const racer = (side: string) =>
    run(
      process.execPath,
      [
        "--import",
        "tsx",
        join(import.meta.dirname, "race", "spend-racer.ts"),
        path,
        side,
        String(startAt),
        String(rounds),
      ],
      { timeout: 60_000 },
    ).then(({ stdout }) => JSON.parse(stdout) as boolean[]);
  const [a, b] = await Promise.all([racer("a"), racer("b")]);
  expect(a).toHaveLength(rounds);
  for (let round = 0; round < rounds; round++) {
    expect([a[round], b[round]].filter(Boolean), `round ${round}`).toHaveLength(1);
  }
}, 90_000);
