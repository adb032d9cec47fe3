// `/stamina run`, `/stamina plan`, the help comment and who is answered at
// all, end to end (command-world.ts): a writer's command acknowledged with a
// reaction on the comment and doing what it says, a reader's and a bot's
// (Stamina's own included) ignored, an unknown command answered with the
// list of commands, and a dry run that pushes nothing and posts one comment.
import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { COMMANDS, parseCommands } from "../../src/app/commands.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { examplePayload } from "../support/webhooks.ts";
import { ORG, REPO, STAMINA_BOT, startCommandWorld, type CommandWorld } from "./command-world.ts";

const files = (config: string) => ({
  "a.txt": "one\n",
  "check.sh": 'grep -q two a.txt || { echo "a.txt lacks two"; exit 3; }\n',
  ".github/stamina.yml": `test: sh check.sh\n${config}`,
});

const edit = reply(editFile("a.txt", "one", "two"));

let w: CommandWorld;
afterEach(() => w.close());

const reactions = (commentId: number) => w.github.commentReactions(ORG, REPO, commentId);
const runs = () => w.app.store.runs.list();

/** Nothing Stamina wrote on the issue reads as a command. */
function noCommandsIn(bodies: string[]): void {
  for (const body of bodies) expect(parseCommands(body)).toEqual([]);
}

describe("/stamina run on an issue", () => {
  it("from a writer does what the label does: 👍, one tracking comment, a run, a pull request", async () => {
    w = await startCommandWorld(files(""));
    const { commentId } = await w.comment("Please have a go.\n/stamina run");
    expect(reactions(commentId)).toEqual(["+1"]);
    expect(w.github.reactions(ORG, REPO, 1)).toEqual([]); // no 👀: the 👍 is the answer
    const [run] = await runs();
    expect(run).toMatchObject({ state: "queued", dryRun: false, requestedBy: "maintainer" });
    expect(w.comments()).toHaveLength(1);
    expect(w.comments()[0]).toContain("Stamina will work on this issue, as @maintainer asked");
    const queued = (await w.app.store.audit.events(run!.id))[0];
    expect(queued).toMatchObject({
      type: "run.queued",
      data: { command: "run", by: "@maintainer", requestedBy: "maintainer" },
    });

    await w.model([edit, reply(text("Changed a.txt.")), reply(text("a.txt says two now."))]);
    expect((await w.work()).state).toBe("succeeded");
    expect(w.github.pulls(ORG, REPO)).toMatchObject([{ draft: false }]);
    noCommandsIn(w.comments());
  });

  it("while a run is active says nothing new and reacts 😕", async () => {
    w = await startCommandWorld(files(""));
    await w.comment("/stamina run");
    const { commentId } = await w.comment("/stamina run");
    expect(reactions(commentId)).toEqual(["confused"]);
    expect(await runs()).toHaveLength(1);
    expect(w.comments()).toHaveLength(1);
  });

  it("with a config that has problems gets the comment naming them, and no run", async () => {
    w = await startCommandWorld(files("budget:\n  steps: lots\n"));
    const { commentId } = await w.comment("/stamina run");
    expect(reactions(commentId)).toEqual(["confused"]);
    expect(await runs()).toEqual([]);
    expect(w.comments()).toHaveLength(1);
    expect(w.comments()[0]).toContain("budget.steps");
  });
});

describe("who is answered", () => {
  it("a reader's command is ignored: no reaction, no comment, no run", async () => {
    w = await startCommandWorld(files(""));
    const { commentId } = await w.comment("/stamina run", {
      sender: { login: "reader", id: 77, type: "User" },
    });
    expect(reactions(commentId)).toEqual([]);
    expect(w.comments()).toEqual([]);
    expect(await runs()).toEqual([]);
  });

  it("Stamina never answers itself, not even a comment of its own that holds commands", async () => {
    w = await startCommandWorld(files(""));
    const { commentId } = await w.comment("/stamina run\n/stamina dance", { sender: STAMINA_BOT });
    expect(reactions(commentId)).toEqual([]);
    expect(w.comments()).toHaveLength(1); // its own, posted by the test
    expect(await runs()).toEqual([]);
    // Not even asked who it is: a bot is turned away before any call to GitHub.
    expect(w.github.requests.some((r) => r.path.includes("/collaborators/"))).toBe(false);
  });
});

describe("the help comment", () => {
  it("answers an unknown command with 😕, and `/stamina` or `/stamina help` with 👍", async () => {
    w = await startCommandWorld(files(""));
    const unknown = await w.comment("/stamina dance `now`");
    expect(reactions(unknown.commentId)).toEqual(["confused"]);
    const help = w.comments()[0]!;
    expect(help).toContain("Stamina does not know `/stamina dance`");
    for (const [name, line] of Object.entries(COMMANDS)) {
      expect(help).toContain(`- \`/stamina ${name}\`: ${line}`);
    }
    const alone = await w.comment("/stamina");
    expect(reactions(alone.commentId)).toEqual(["+1"]);
    const asked = await w.comment("/stamina help");
    expect(reactions(asked.commentId)).toEqual(["+1"]);
    expect(w.comments()).toHaveLength(3);
    expect(w.comments()[2]).toMatch(/^Stamina's commands, /);
    noCommandsIn(w.comments());
    expect(await runs()).toEqual([]);
  });
});

describe("a dry run", () => {
  it("from `/stamina plan` pushes nothing and posts the plan and the diff in one comment", async () => {
    w = await startCommandWorld(files(""));
    const { commentId } = await w.comment("/stamina plan");
    expect(reactions(commentId)).toEqual(["+1"]);
    const [queued] = await runs();
    expect(queued?.dryRun).toBe(true);
    expect(w.comments()[0]).toContain("a dry run, so nothing will be pushed");

    await w.model([
      reply(toolUse("update_plan", { plan: ["Make a.txt say two"] })),
      edit,
      reply(toolUse("checkpoint", { message: "Make a.txt say two" })),
      reply(text("Changed a.txt.")),
      // A summary that quotes a command: what Stamina posts must not read as one.
      reply(text("a.txt says two now.\n/stamina stop")),
    ]);
    const run = await w.work();
    expect(run).toMatchObject({ state: "succeeded", dryRun: true, pullNumber: null });

    // Nothing on GitHub but comments: no branch, no pull request, no check run.
    expect(w.branches()).toEqual(["main"]);
    expect(w.github.pulls(ORG, REPO)).toEqual([]);
    expect(w.github.checkRuns(ORG, REPO)).toEqual([]);
    const [tracking, plan] = w.comments();
    expect(w.comments()).toHaveLength(2);
    expect(tracking).toContain("🧪 Dry run finished");
    expect(tracking).toContain("Nothing was pushed");
    expect(plan).toContain("**Dry run** for @maintainer");
    expect(plan).toContain("- [ ] Make a.txt say two");
    expect(plan).toContain("a.txt says two now.");
    expect(plan).toMatch(/```diff\n[\s\S]*-one\n\+two\n```/);
    noCommandsIn(w.comments());

    const types = (await w.app.store.audit.events(run.id)).map((e) => e.type);
    // The checkpoint tool's commit stayed in the worktree (the end had nothing more to commit).
    expect(types.filter((t) => t === "commit.kept_local")).toHaveLength(1);
    expect(types).toContain("run.dry_run");
    expect(types).not.toContain("git.push");
    expect(types.at(-1)).toBe("run.finished");
  });

  it("is what the label and `/stamina run` start when the repository says `dry_run: true`", async () => {
    w = await startCommandWorld(files("dry_run: true\n"));
    await w.comment("/stamina run");
    const [byCommand] = await runs();
    expect(byCommand?.dryRun).toBe(true);
    await w.app.store.runs.finish(byCommand!.id, "cancelled", "for the next trigger");

    const labeled = examplePayload<{
      label: { name: string };
      sender: { login: string };
      repository: { name: string; full_name: string; owner: { login: string } };
    }>("issues", "labeled");
    labeled.repository.owner.login = ORG;
    labeled.repository.name = REPO;
    labeled.repository.full_name = `${ORG}/${REPO}`;
    labeled.label.name = "stamina";
    labeled.sender.login = "maintainer";
    const posted = await w.app.deliver("issues", labeled);
    expect(await w.app.handled(posted.deliveryId)).toBe("ok");
    const byLabel = (await runs())[1];
    expect(byLabel).toMatchObject({ dryRun: true, state: "queued" });
    expect((await w.app.store.audit.events(byLabel!.id))[0]?.data).toMatchObject({
      label: "stamina",
      dryRun: true,
    });
    expect(execFileSync("git", ["--git-dir", w.bare, "branch"], { encoding: "utf8" })).toBe(
      "* main\n",
    );
  });
});
