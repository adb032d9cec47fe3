// One side of the SQLite spend race (spend-race.test.ts): a process of its own with its own
// connection, reserving at the instants the test gives, and printing what it got.
import { createRedactor } from "../../../src/observability/redact.ts";
import { openStore } from "../../../src/store/open.ts";

const [path, side, startAt, rounds] = process.argv.slice(2);
const store = await openStore({
  database: { engine: "sqlite", path: path! },
  redactor: createRedactor([]),
});
const results: boolean[] = [];
for (let round = 0; round < Number(rounds); round++) {
  // Both sides wake at the same instant for each round.
  const wait = Number(startAt) + round * 50 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  const refusal = await store.spend.reserve({
    runId: `run-${round}-${side}`,
    installationId: 100 + round,
    runSpent: 0,
    estimate: 0.6,
    limits: { perInstallationDay: 1 },
  });
  results.push(refusal === null);
}
await store.close();
process.stdout.write(JSON.stringify(results));
