// Generated `/stamina` commands and arguments: the parser over any comment text, the rollback's
// choice of checkpoint over any argument, and comments full of commands with hostile arguments
// posted to the real app (command-world.ts: the fake GitHub, the real handlers) while a run is
// queued on the issue. Nothing crashes, every answer Stamina posts is in words, and the run is
// left as it was.
import { fc, it } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { COMMANDS, parseCommands } from "../../src/app/commands.ts";
import { chooseCheckpoint, type BranchCheckpoint } from "../../src/store/branch-checkpoints.ts";
import type { Run } from "../../src/store/types.ts";
import { startCommandWorld, type CommandWorld } from "../app/command-world.ts";
import { expectClearMessage, fuzzArea, fuzzParameters } from "./fuzz.ts";

const area = fuzzArea("commands");

const WORDS = [...Object.keys(COMMANDS), "STOP", "Rollback", "dance", "", "run;", "statuss"];
/** What follows a command word: checkpoints, commits, fingerprints, markup and control text. */
const argument = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    "2",
    "#1",
    "0",
    "-1",
    "999999",
    "1e3",
    "abcdef0",
    "ABCDEF1234567",
    "a".repeat(41),
  ),
  fc.constantFrom(
    "`x`",
    "<!-- y -->",
    "@someone",
    "${{ secrets.X }}",
    "$(id)",
    "\u202Eevil",
    "\u0000",
    "🤖",
  ),
);
const commandLine = fc
  .tuple(fc.constantFrom(...WORDS), argument, fc.constantFrom("/stamina", "/Stamina", " /stamina"))
  .map(([word, args, slash]) => `${slash} ${word} ${args}`);
/** A comment: prose, quotes, code fences and HTML comments around command lines. */
const comment = fc
  .array(
    fc.oneof(
      commandLine,
      fc.string({ maxLength: 40 }),
      fc.constantFrom("```", "~~~", "> /stamina stop", "<!--", "-->", "", "\r"),
    ),
    { maxLength: 6 },
  )
  .map((lines) => lines.join("\n"));

describe("parsing", () => {
  it.prop([fc.oneof(comment, fc.string({ maxLength: 200 }))], fuzzParameters(500))(
    "reads any comment into known commands or unknown words, one line each",
    (body) => {
      area.tried();
      const commands = area.guard(body, () => parseCommands(body));
      for (const c of commands) {
        expect(c.args).not.toMatch(/\n/);
        if (c.name === "unknown") expect(Object.hasOwn(COMMANDS, c.word)).toBe(false);
        else expect(Object.hasOwn(COMMANDS, c.name)).toBe(true);
      }
      if (!/\/stamina/i.test(body)) expect(commands).toEqual([]);
    },
  );

  const checkpoint = fc.record({
    sha: fc.stringMatching(/^[0-9a-f]{40}$/),
    reason: fc.constantFrom("tool", "verified", "final", "rollback", "odd"),
  });
  it.prop([fc.array(checkpoint, { maxLength: 4 }), argument], fuzzParameters(300))(
    "a rollback's argument names one checkpoint, or the answer says why not",
    (raw, args) => {
      area.tried();
      const list: BranchCheckpoint[] = raw.map((c, i) => ({
        ...c,
        number: i + 1,
        green: c.reason === "verified",
        runId: "run-1",
        at: new Date(i * 1000).toISOString(),
      }));
      const choice = area.guard(args, () => chooseCheckpoint(list, args));
      if (choice.ok) expect(list).toContainEqual(choice.checkpoint);
      else expectClearMessage(choice.problem.replace(/`[^`]*`/g, "`x`"), args);
    },
  );
});

describe("through the app, while a run is queued on the issue", () => {
  let w: CommandWorld;
  let queued: Run;
  beforeAll(async () => {
    w = await startCommandWorld({ "a.txt": "one\n" });
    await w.comment("/stamina run");
    [queued] = (await w.app.store.runs.list()) as [Run];
    expect(queued).toMatchObject({ state: "queued" });
  });
  afterAll(() => w?.close());

  // Commands that change a queued run (stop, retry, run, plan) are a reader's here: ignored.
  const sender = fc.constantFrom(
    { login: "maintainer", id: 4242, type: "User" as const },
    { login: "reader", id: 4343, type: "User" as const },
  );
  const safeComment = fc
    .tuple(comment, sender)
    .filter(
      ([body, who]) =>
        who.login === "reader" ||
        parseCommands(body).every((c) => !["stop", "retry", "run", "plan"].includes(c.name)),
    );

  it.prop([safeComment], fuzzParameters(25))(
    "answers in words and leaves the run as it was",
    async ([body, who]) => {
      area.tried();
      const before = w.comments().length;
      await area.guard(body, () => w.comment(body, { sender: who }));
      for (const answer of w.comments().slice(before)) {
        // What the person wrote, quoted back, is theirs; the rest is Stamina's words.
        expectClearMessage(answer.replace(/`[^`\n]*`/g, "`x`"), body);
      }
      expect(await w.app.store.runs.list()).toEqual([queued]);
    },
    120_000,
  );
});
