// How large a webhook Stamina must take in, measured: the largest example payload of the events
// it handles, and the worst each could be on GitHub (every body at GitHub's 65,536-character cap,
// written the costliest way GitHub writes it; an installation listing many repositories). The
// figures are printed; the test holds that the default cap (STAMINA_WEBHOOK_MAX_KB) covers every
// event that carries a person's text, with room to spare, and says how many repositories an
// installation event may list under it.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { HANDLED_EVENTS } from "../../src/app/app.ts";
import { readSettings } from "../../src/settings.ts";

interface ExampleGroup {
  name: string;
  examples: Array<Record<string, unknown> & { action?: string }>;
}

const examples = createRequire(import.meta.url)(
  "@octokit/webhooks-examples/api.github.com/index.json",
) as ExampleGroup[];

/** GitHub's cap on an issue's, comment's or review's body, in characters. */
const BODY_CHARS = 65_536;

/**
 * A payload as GitHub writes it: raw UTF-8, except `<`, `>` and `&`, which it escapes as
 * `\u003c` and the like (the examples keep `\u0026`), as JSON escapes control characters.
 */
const githubBytes = (payload: unknown): number =>
  Buffer.byteLength(
    JSON.stringify(payload).replace(
      /[<>&]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    ),
  );

/** The payload with every `body` string (an issue's, a comment's, a review's) set to `text`. */
function withBodies(value: unknown, text: string): unknown {
  if (Array.isArray(value)) return value.map((v) => withBodies(v, text));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      k === "body" && (typeof v === "string" || v === null) ? text : withBodies(v, text),
    ]),
  );
}

const handled = examples.flatMap((group) =>
  group.examples
    .filter((e) => HANDLED_EVENTS.has(`${group.name}.${e.action ?? ""}`))
    .map((e) => ({ name: `${group.name}.${e.action ?? ""}`, payload: e })),
);

describe("the webhook size cap", () => {
  const cap = readSettings({}).webhook.maxBytes;

  it("covers the worst payload GitHub can send for each event Stamina acts on", () => {
    const largest = Math.max(...handled.map((e) => githubBytes(e.payload)));
    // Each character costs at most six bytes as GitHub writes it (`\u003c`); a 4-byte
    // character (raw UTF-8, as GitHub sends it) costs four.
    const escaped = "<".repeat(BODY_CHARS);
    const astral = "\u{1F600}".repeat(BODY_CHARS);
    const worst = handled.map((e) => ({
      name: e.name,
      escaped: githubBytes(withBodies(e.payload, escaped)),
      astral: githubBytes(withBodies(e.payload, astral)),
    }));
    const worstOf = worst.reduce((a, b) =>
      Math.max(b.escaped, b.astral) > Math.max(a.escaped, a.astral) ? b : a,
    );
    process.stdout.write(
      [
        `examples of handled events: ${handled.length}, largest ${largest} bytes`,
        ...worst.map(
          (w) =>
            `  ${w.name}: bodies of \\u003c ${w.escaped} bytes, of 4-byte characters ${w.astral} bytes`,
        ),
        `worst: ${worstOf.name}, ${Math.max(worstOf.escaped, worstOf.astral)} bytes; cap ${cap} bytes`,
        "",
      ].join("\n"),
    );
    expect(handled.length).toBeGreaterThan(10);
    for (const w of worst) expect(Math.max(w.escaped, w.astral)).toBeLessThan(cap);
    // Room to spare: a title, a label's description or a diff hunk at its longest fits too.
    expect(Math.max(worstOf.escaped, worstOf.astral)).toBeLessThan(cap / 2);
  });

  it("says how many repositories an installation event may list under the cap", () => {
    const created = handled.find((e) => e.name === "installation.created");
    expect(created).toBeDefined();
    // A repository at its longest: a 39-character owner, a 100-character name.
    const owner = "o".repeat(39);
    const name = "n".repeat(100);
    const entry = {
      id: 2 ** 40,
      node_id: "R_kgDO" + "x".repeat(16),
      name,
      full_name: `${owner}/${name}`,
      private: false,
    };
    const base = githubBytes({ ...created?.payload, repositories: [] });
    const per = githubBytes(entry) + 1;
    const fit = Math.floor((cap - base) / per);
    process.stdout.write(
      `installation.created: ${base} bytes with no repositories, ${per} bytes per repository at its longest: ${fit} fit under the cap\n`,
    );
    expect(fit).toBeGreaterThan(6000);
  });
});
