// What the agent's commands can do to the harness and the machine, each
// through a real run (the fake GitHub, the scripted model, real bubblewrap and
// cgroups): a background job that swaps a folder for a symlink to a host
// folder while the editor works on it, a FIFO and /dev/zero behind a path, a
// fork bomb, a process that fills memory, a file that fills the disk, a full
// /tmp. Each run must end with its pull request, nothing of the host must be
// read or written, each limit must be said to the model and in the audit log,
// and a plain run afterwards must work as ever. The limits are small here so
// that each is reached in a moment.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../src/audit/types.ts";
import { editFile, reply, toolUse } from "../support/model-server/index.ts";
import { startHarness, type Harness } from "../support/run-harness.ts";
import { corpusRunner, eventData, toolResults } from "./corpus.ts";

const MiB = 1024 * 1024;
const SECRET = "TOP-SECRET-HOST-FILE";

let h: Harness;
let secret: string;
let hostileRun: ReturnType<typeof corpusRunner>;

beforeAll(async () => {
  h = await startHarness(
    { "a.txt": "one\n" },
    {
      sandbox: "bubblewrap",
      limits: { processes: 64, memoryBytes: 64 * MiB, fileSizeBytes: 8 * MiB, tmpBytes: 4 * MiB },
    },
  );
  // A host folder the sandbox does not show; the harness could reach it by a swapped symlink.
  secret = join(h.dir, "secret");
  mkdirSync(secret);
  writeFileSync(join(secret, "f"), `${SECRET}\n`);
  hostileRun = corpusRunner(h);
});
afterAll(() => h.close());

const bash = (command: string) => reply(toolUse("bash", { command }));

function limitsHit(events: AuditEvent[]): unknown[] {
  return eventData(events, "sandbox.limit").map((d) => d.limit);
}

function secretUntouched(): void {
  expect(readdirSync(secret)).toEqual(["f"]);
  expect(readFileSync(join(secret, "f"), "utf8")).toBe(`${SECRET}\n`);
}

describe("hostile commands, through real runs", () => {
  it("a folder swapped for a symlink to a host folder while the editor works on it: nothing read or written there", async () => {
    const flip = `(while true; do rm -rf d; mkdir d; echo safe > d/f; rm -rf d; ln -s ${secret} d; done) >/dev/null 2>&1 &`;
    const calls = (n: number) =>
      reply(
        ...Array.from({ length: n }, (_, i) =>
          i % 3 === 0
            ? toolUse("str_replace_based_edit_tool", { command: "view", path: "d/f" })
            : i % 3 === 1
              ? editFile("d/f", "safe", "changed")
              : toolUse("str_replace_based_edit_tool", {
                  command: "create",
                  path: `d/new-${i}`,
                  file_text: "written\n",
                }),
        ),
      );
    const { run, events } = await hostileRun(
      [
        bash(flip),
        calls(60),
        calls(60),
        calls(60),
        bash("kill %1; wait; rm -rf d; echo stopped"),
        // The same calls failing again and again is what the watchdog watches for: not here.
      ],
      { watchdog: { enabled: false } },
    );
    expect(run.state).toBe("succeeded");
    const editor = toolResults(events, "str_replace_based_edit_tool");
    expect(editor).toHaveLength(181); // and the edit of a.txt
    expect(editor.some((out) => out.includes(SECRET))).toBe(false);
    secretUntouched();
  });

  it("a FIFO and /dev/zero behind a path: refused at once, and the run goes on", async () => {
    const view = (path: string) =>
      reply(toolUse("str_replace_based_edit_tool", { command: "view", path }));
    const { run, events } = await hostileRun([
      bash(
        "mkfifo pipe && ln -s /dev/zero zero && mkdir -p sub && ln -s ../pipe sub/p && echo made",
      ),
      view("pipe"),
      view("sub/p"),
      view("zero"),
      reply(toolUse("search", { pattern: "x", path: "pipe" })),
      bash("rm -f pipe zero sub/p"),
    ]);
    expect(run.state).toBe("succeeded");
    const editor = toolResults(events, "str_replace_based_edit_tool");
    expect(editor[0]).toMatch(/not a regular file \(a FIFO\)/);
    expect(editor[1]).toMatch(/not a regular file \(a FIFO\)/);
    expect(editor[2]).toMatch(/outside the workspace/);
    expect(toolResults(events, "search")[0]).toMatch(/not a regular file|FIFO/);
  });

  it("a fork bomb meets the processes limit; the shell and the run carry on", async () => {
    const { run, events } = await hostileRun([
      bash(":(){ :|:& };:; sleep 1; echo after"),
      bash("echo the shell still works"),
    ]);
    expect(run.state).toBe("succeeded");
    expect(limitsHit(events)).toContain("processes");
    const out = toolResults(events, "bash");
    expect(out[0]).toMatch(/limit of 64 processes/);
    expect(out[1]).toContain("the shell still works");
  });

  it("a process that fills memory is killed at the memory limit", async () => {
    const { run, events } = await hostileRun([
      // tail keeps a line without an end in memory: all of it.
      bash("head -c 512M /dev/zero | tail > /dev/null; echo exit=$?"),
      bash("echo fine"),
    ]);
    expect(run.state).toBe("succeeded");
    expect(limitsHit(events)).toContain("memory");
    expect(toolResults(events, "bash")[0]).toMatch(/memory limit of 64 MiB/);
    expect(toolResults(events, "bash")[1]).toContain("fine");
  });

  it("a file that fills the disk stops at the file size limit, and a full /tmp is said so", async () => {
    const { run, events } = await hostileRun([
      bash("dd if=/dev/zero of=big bs=1M count=64 2>&1; ls -l big | awk '{print $5}'"),
      // A command that fails for want of room in /tmp (said from its "No space left on device").
      bash("rm -f big; dd if=/dev/zero of=/tmp/fill bs=1M count=64"),
    ]);
    expect(run.state).toBe("succeeded");
    expect(limitsHit(events)).toEqual(expect.arrayContaining(["file-size", "tmp"]));
    const out = toolResults(events, "bash");
    expect(out[0]).toContain(String(8 * MiB));
    expect(out[0]).toMatch(/past 8 MiB, the sandbox's largest file size/);
    expect(out[1]).toMatch(/The sandbox's \/tmp holds 4 MiB/);
  });

  it("after them, a plain run works as ever", async () => {
    const { run, events } = await hostileRun([]);
    expect(run.state).toBe("succeeded");
    expect(limitsHit(events)).toEqual([]);
    secretUntouched();
  });
});
