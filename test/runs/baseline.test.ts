// A run on GitHub with checks on the base commit first, end to end in process against the
// fake GitHub and the scripted model: a check that was already failing is named in the pull
// request and ends no loop; a flaky one is run once more and noted; "cannot fix" ends the run
// with a draft that says why; and a run that changes nothing ends as "no change needed".
import { afterEach, describe, expect, it } from "vitest";
import { editFile, reply, text, type ScriptedTurn } from "../support/model-server/index.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

let h: Harness;
afterEach(() => h.close());

const CHECK = 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n';
const BROKEN_LINT = 'echo "style.css: 1 problem"; exit 2\n';
/** Passes its first run (the baseline), fails its second, passes after: a flaky test. */
const FLAKY = [
  'n=$(cat "$TMPDIR/flaky-runs" 2>/dev/null || echo 0)',
  "n=$((n + 1))",
  'echo "$n" > "$TMPDIR/flaky-runs"',
  'if [ "$n" -eq 2 ]; then echo "timing out on a slow socket"; exit 1; fi',
  "",
].join("\n");

async function run(files: Record<string, string>, script: ScriptedTurn[], config: unknown) {
  h = await startHarness(files);
  await h.model(script);
  await h.queue(config);
  const finished = await h.execute(await h.claim());
  const events = await h.store.audit.events(finished.id);
  return { finished, events, pull: h.github.pulls(OWNER, REPO)[0], comment: h.comment() };
}

const makeItTwo = reply(editFile("a.txt", "one", "two"));

describe("a run with checks on the base commit", () => {
  it("finishes its task, names the check that was already failing, and does not loop", async () => {
    const { finished, events, pull, comment } = await run(
      { "a.txt": "one\n", "check.sh": CHECK, "lint.sh": BROKEN_LINT },
      [
        makeItTwo,
        reply(text("a.txt says two.")),
        reply(text("a.txt says two; lint fails on the base commit as well.")),
      ],
      { test: "sh check.sh", lint: "sh lint.sh" },
    );
    // The baseline ran before the model's first request.
    const types = events.map((e) => e.type);
    expect(types.indexOf("verify.baseline")).toBeLessThan(types.indexOf("model.request"));
    // Two turn ends with the same failures, all there before: it stops, three steps in all.
    expect(finished.stepsUsed).toBe(3);
    expect(finished.state).toBe("failed");
    expect(finished.outcome).toBe("pull request opened as a draft: checks it cannot fix");
    expect(pull?.draft).toBe(true);
    expect(pull?.body).toContain("This pull request is a draft** because the checks still fail");
    expect(pull?.body).toContain("failed on the base commit too, before any change");
    expect(pull?.body).toContain(
      "❌ `sh lint.sh` exited with code 2 (lint) — already failing on the base commit",
    );
    expect(pull?.body).toContain("Already failing before this change: **lint**");
    expect(pull?.body).toContain("✅ `sh check.sh` passed (test)");
    // The task's change is on the branch.
    expect(h.git("show", `${finished.branch}:a.txt`)).toBe("two");
    expect(comment).toContain("as a draft");
  });

  it("runs a flaky check once more and notes it in the pull request", async () => {
    const { finished, events, pull } = await run(
      { "a.txt": "one\n", "flaky.sh": FLAKY },
      [makeItTwo, reply(text("a.txt says two.")), reply(text("Reviewed: a.txt says two."))],
      { test: "sh flaky.sh" },
    );
    expect(
      events.filter((e) => e.type === "command").map((e) => [e.data.purpose, e.data.exitCode]),
    ).toEqual([
      ["baseline", 0],
      ["verify", 1],
      ["verify", 0],
    ]);
    expect(finished.state).toBe("succeeded");
    expect(pull?.draft).toBe(false);
    expect(pull?.body).toContain(
      "✅ `sh flaky.sh` passed (test) — flaky: failed once, passed when run again",
    );
    expect(pull?.body).toContain("Flaky: **test** passed on the base commit");
  });

  it("accepts 'cannot fix' with its reason: the pull request stays a draft and says so", async () => {
    const { finished, pull, comment } = await run(
      { "a.txt": "one\n", "check.sh": CHECK, "lint.sh": BROKEN_LINT },
      [
        makeItTwo,
        reply(text("a.txt says two.")),
        reply(text("Cannot fix: lint.sh fails on every commit, outside this task.")),
      ],
      { test: "sh check.sh", lint: "sh lint.sh" },
    );
    expect(finished.state).toBe("failed");
    expect(pull?.draft).toBe(true);
    expect(pull?.body).toContain(
      "This pull request is a draft** because the checks still fail and Stamina stopped: lint.sh fails on every commit, outside this task.",
    );
    expect(comment).toContain("lint.sh fails on every commit, outside this task");
  });

  it("asks once when nothing changed, then ends with no change needed and no pull request", async () => {
    const { finished, events, comment } = await run(
      { "a.txt": "two\n", "check.sh": CHECK },
      [
        reply(text("I will check a.txt.")),
        reply(text("a.txt already says two, so the issue needs no change.")),
      ],
      { test: "sh check.sh" },
    );
    expect(finished.state).toBe("succeeded");
    expect(finished.outcome).toBe("no change needed");
    expect(events.filter((e) => e.type === "agent.no_change_asked")).toHaveLength(1);
    expect(events.find((e) => e.type === "agent.stop")?.data.stop).toBe("no_change");
    expect(comment).toContain("✅ No change needed: Stamina looked into this");
    expect(comment).toContain("> a.txt already says two, so the issue needs no change.");
    expect(h.github.pulls(OWNER, REPO)).toHaveLength(0);
  });
});
