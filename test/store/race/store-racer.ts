// One process of the SQLite store races (store-race.sqlite.test.ts): its own connection to the
// database file; says "ready" on stdout once open, starts when a line comes on stdin (the test
// sends it when every racer is ready), then goes as fast as it can and prints what it got as
// JSON on the next line.
//   claim  RUNS:   claims runs until none is left; the ids it was handed
//   append RUN N:  appends N events to one run's audit log; the seq of each
//   memory N:      N memory edits, each appending a line to one file; each edit's line
import { once } from "node:events";
import { createRedactor } from "../../../src/observability/redact.ts";
import { openStore } from "../../../src/store/open.ts";

const [path, mode, side, ...rest] = process.argv.slice(2);
const store = await openStore({
  database: { engine: "sqlite", path: path! },
  redactor: createRedactor([]),
});
process.stdout.write("ready\n");
await once(process.stdin, "data");

const got: unknown[] = [];
if (mode === "claim") {
  for (;;) {
    const run = await store.leases.claimNext(`worker-${side}`, 60_000);
    if (run === undefined) break;
    got.push(run.id);
  }
} else if (mode === "append") {
  const [runId, count] = rest;
  for (let i = 0; i < Number(count); i++) {
    const [event] = await store.audit.append(runId!, [{ type: `${side}.${i}`, data: { side } }]);
    got.push(event!.seq);
  }
} else if (mode === "memory") {
  for (let i = 0; i < Number(rest[0]); i++) {
    const line = `${side} ${i}`;
    got.push(
      await store.memory.edit("octo/demo", (files) => {
        const log = files.find((f) => f.path === "/memories/log.md");
        const content = log ? `${log.content}\n${line}` : line;
        return {
          result: line,
          change: { put: [{ path: "/memories/log.md", content }], remove: [] },
        };
      }),
    );
  }
} else {
  throw new Error(`unknown mode ${mode ?? "(none)"}: claim, append or memory`);
}
await store.close();
process.stdout.write(`${JSON.stringify(got)}\n`);
process.stdin.destroy();
