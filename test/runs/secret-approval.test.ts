// A secret-scan finding on the real worker path, answered through the app's
// real webhook path: the commit is held (not pushed) and the run waits in
// awaiting_approval with the findings named (file, line, rule; never the
// value); a writer's `/stamina approve` lets exactly that content through,
// recorded in the audit log with who approved; `/stamina deny` rolls it back.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reply, text, toolUse } from "../support/model-server/index.ts";
import { appBesideHarness, type AppBesideHarness } from "../support/app-beside-harness.ts";
import { byStep, OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
let app: AppBesideHarness;
beforeEach(async () => {
  h = await startHarness({ "a.txt": "one\n" }, { clockStart: Date.now() });
  app = await appBesideHarness(h);
});
afterEach(async () => {
  await app.close();
  await h.close();
});

const say = async (user: string, body: string) =>
  app.reactions(await app.comment(body, { by: user }));
const comments = () => h.github.issueComments(OWNER, REPO, 1).map((c) => c.body);

// Looks random and is assigned to a secret-sounding name: a false positive in a test fixture.
const FIXTURE = `const apiKey = "Zx8vQ2mN4pL7rT1wK9sB3dF6";\n`;
const writeFixture = toolUse("str_replace_based_edit_tool", {
  command: "create",
  path: "fixture.js",
  file_text: FIXTURE,
});
const checkpoint = toolUse("checkpoint", { message: "Add the fixture" });

describe("a secret-scan finding held for approval", () => {
  it("holds the change, and pushes it once a writer approves, with the approval in the audit log", async () => {
    await h.model(
      byStep([reply(writeFixture, checkpoint), reply(text("Done.")), reply(text("A fixture."))]),
    );
    const queued = await h.queue();
    const held = await h.execute(await h.claim());
    expect(held).toMatchObject({ state: "awaiting_approval", leaseOwner: null });
    const ask = comments().find((b) => b.startsWith("🔐"))!;
    expect(ask).toContain(
      "high-entropy value assigned to a secret name in `fixture.js` line 1 (approve only if it is not one)",
    );
    expect(ask).not.toContain("Zx8vQ2mN4pL7rT1wK9sB3dF6");
    expect(() => h.show(`${held.branch}:fixture.js`)).toThrow();

    expect(await say("reader", "/stamina approve")).toEqual([]);
    expect(await say("maintainer", "/stamina approve")).toEqual(["+1"]);
    const done = await h.execute(await h.claim("worker-2"));
    expect(done.state).toBe("succeeded");
    const head = h.github.pulls(OWNER, REPO)[0]!.head;
    expect(h.show(`${head}:fixture.js`)).toBe(FIXTURE);

    const events = await h.store.audit.events(queued.id);
    const scans = events.filter((e) => e.type === "git.secret_scan").map((e) => e.data);
    expect(scans[0]).toMatchObject({
      result: "held",
      findings: [
        { path: "fixture.js", line: 1, kind: "high-entropy value assigned to a secret name" },
      ],
    });
    expect(scans).toContainEqual(
      expect.objectContaining({ result: "approved", approvedBy: "maintainer" }),
    );
    // The scan and the request say where and which rule, never the value (the model's own
    // transcript holds it: it wrote it).
    const said = events.filter(
      (e) => e.type === "git.secret_scan" || e.type.startsWith("approval."),
    );
    expect(JSON.stringify(said)).not.toContain("Zx8vQ2mN4pL7rT1wK9sB3dF6");
  });

  it("rolls the change back on deny, and the run goes on without it", async () => {
    await h.model(
      byStep([reply(writeFixture, checkpoint), reply(text("Done.")), reply(text("Nothing."))]),
    );
    const queued = await h.queue();
    expect((await h.execute(await h.claim())).state).toBe("awaiting_approval");
    expect(await say("maintainer", "/stamina deny")).toEqual(["+1"]);
    const done = await h.execute(await h.claim("worker-2"));
    expect(done.state).not.toBe("awaiting_approval");
    const events = await h.store.audit.events(queued.id);
    expect(events.some((e) => e.type === "git.rollback")).toBe(true);
    const pushed = events.filter((e) => e.type === "git.secret_scan").map((e) => e.data.result);
    expect(pushed).not.toContain("approved");
    for (const pull of h.github.pulls(OWNER, REPO)) {
      expect(() => h.show(`${pull.head}:fixture.js`)).toThrow();
    }
  });

  it("asks again for a secret added after the approval: the approval is bound to what it saw", async () => {
    const token = `ghp_${"A1b2C3d4E5".repeat(4)}`;
    const writeToken = toolUse("bash", { command: `printf 't = "${token}"\\n' > later.py` });
    await h.model(
      byStep([
        reply(writeFixture, checkpoint),
        reply(writeToken, toolUse("checkpoint", { message: "Later" })),
      ]),
    );
    const queued = await h.queue();
    expect((await h.execute(await h.claim())).state).toBe("awaiting_approval");
    expect(await say("maintainer", "/stamina approve")).toEqual(["+1"]);
    const again = await h.execute(await h.claim("worker-2"));
    expect(again.state).toBe("awaiting_approval");
    const asks = comments().filter((b) => b.startsWith("🔐"));
    expect(asks).toHaveLength(2);
    expect(asks[1]).toContain("GitHub token in `later.py` line 1");
    expect(h.show(`${again.branch}:fixture.js`)).toBe(FIXTURE);
    expect(() => h.show(`${again.branch}:later.py`)).toThrow();
    const results = (await h.store.audit.events(queued.id))
      .filter((e) => e.type === "git.secret_scan")
      .map((e) => e.data.result);
    expect(results).toEqual(["held", "approved", "held"]);
  });

  it("holds a token in a file git renders as binary (-diff), on the whole run's path", async () => {
    const token = `ghp_${"Q9w8E7r6T5".repeat(4)}`;
    const create = (path: string, file_text: string) =>
      toolUse("str_replace_based_edit_tool", { command: "create", path, file_text });
    await h.model(
      byStep([
        reply(create(".gitattributes", "*.dat -diff\n"), create("keys.dat", `k=${token}\n`)),
        reply(toolUse("checkpoint", { message: "Data" })),
      ]),
    );
    const queued = await h.queue();
    expect((await h.execute(await h.claim())).state).toBe("awaiting_approval");
    const ask = comments().find((b) => b.startsWith("🔐"))!;
    expect(ask).toContain("GitHub token in `keys.dat` line 1");
    expect(ask).not.toContain(token);
    const scans = (await h.store.audit.events(queued.id)).filter(
      (e) => e.type === "git.secret_scan",
    );
    expect(JSON.stringify(scans)).not.toContain(token);
  });
});
