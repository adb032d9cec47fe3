// Generated webhook payloads: GitHub's own examples (@octokit/webhooks-examples) of each event
// Stamina handles, moved onto a test repository, then changed: text fields given hostile text
// (what a person may write in a title, a body, a branch or a label), or the payload damaged
// (fields removed, given other types). Each is signed and posted to the real app, whose GitHub
// is the fake GitHub, while a run is in the store. Nothing crashes, every delivery is handled
// and recorded, a text GitHub may send is handled without error, and the run is as it was.
import { fc, it } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { HANDLED_EVENTS } from "../../src/app/app.ts";
import type { Run } from "../../src/store/types.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { APP_PUBLIC_KEY, startApp, type AppUnderTest } from "../support/app-harness.ts";
import { examplePayload, labeledIssuePayload } from "../support/webhooks.ts";
import { fuzzArea, fuzzParameters } from "./fuzz.ts";

const area = fuzzArea("webhooks");
const ORG = "octo-org";
const REPO = "demo";

let github: FakeGitHub;
let app: AppUnderTest;
let kept: Run;

beforeAll(async () => {
  github = await startFakeGitHub({ appId: 1, appPublicKeyPem: APP_PUBLIC_KEY });
  github.addInstallation(1, ORG);
  await github.createRepository({
    owner: ORG,
    name: REPO,
    installationId: 1,
    files: { "a.txt": "one\n" },
  });
  github.setPermission(ORG, REPO, "maintainer", "write");
  app = await startApp({ apiUrl: github.apiUrl });
  const posted = await app.deliver(
    "issues",
    labeledIssuePayload({ owner: ORG, repo: REPO, issue: 7, title: "Kept" }),
  );
  expect(await app.handled(posted.deliveryId)).toBe("ok");
  [kept] = (await app.store.runs.list()) as [Run];
  expect(kept).toMatchObject({ state: "queued" });
});

afterAll(async () => {
  await app?.close();
  await github?.close();
});

/** GitHub's example of `event.action`, on the test's repository. */
function example(name: string): Record<string, unknown> {
  const [event = "", action = ""] = name.split(".");
  const payload = examplePayload<Record<string, unknown>>(event, action);
  const repository = payload.repository as Record<string, unknown> | undefined;
  if (repository) {
    repository.name = REPO;
    repository.full_name = `${ORG}/${REPO}`;
    (repository.owner as Record<string, unknown>).login = ORG;
  }
  return payload;
}

type Path = Array<string | number>;

function leaves(value: unknown, path: Path = [], out: Array<{ path: Path; value: unknown }> = []) {
  if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value))
      leaves(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  } else out.push({ path, value });
  return out;
}

function set(root: Record<string, unknown>, path: Path, value: unknown, remove = false): void {
  let node = root as Record<string | number, unknown>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (remove) delete node[last];
  else node[last] = value;
}

/** The ones Stamina's handlers key on: another value changes which repository or installation it is. */
const PLACE = /^(repository\.(name|full_name|owner\.login|id)|installation\.id|action)$/;

const hostile = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(
    "/stamina stop",
    "/stamina rollback $(id)",
    "<!-- /stamina run -->",
    "`",
    "@stamina[bot]",
    "\u202E",
    "x".repeat(70_000),
    "stamina",
    "🤖",
    "../../etc/passwd",
    "refs/heads/main",
  ),
);

// Not the events that stop or purge an installation's runs (suspend, delete, repositories
// removed): they would take the kept run with them, as they should (test/app/installation.test.ts).
const events = [...HANDLED_EVENTS].filter(
  (e) => !/^installation(\.deleted|\.suspend|_repositories\.removed)$/.test(e),
);
/** A change GitHub may make: a text field holds any text. */
const textChange = fc
  .tuple(fc.nat(), fc.array(fc.tuple(fc.nat(), hostile), { minLength: 1, maxLength: 4 }))
  .map(([e, edits]) => {
    const name = events[e % events.length]!;
    const payload = example(name);
    const texts = leaves(payload).filter(
      (l) =>
        typeof l.value === "string" &&
        !PLACE.test(l.path.join(".")) &&
        !/_at$|url$/.test(String(l.path.at(-1))),
    );
    for (const [at, text] of edits)
      if (texts.length > 0) set(payload, texts[at % texts.length]!.path, text);
    return { name, payload };
  });
/** Damage: fields removed or given values of another type. */
const damage = fc
  .tuple(
    fc.nat(),
    fc.array(fc.tuple(fc.nat(), fc.oneof(fc.constant(undefined), fc.anything())), {
      minLength: 1,
      maxLength: 4,
    }),
  )
  .map(([e, edits]) => {
    const name = events[e % events.length]!;
    const payload = example(name);
    for (const [at, value] of edits) {
      const all = leaves(payload).filter(
        (l) => l.path.length > 0 && !/^(action|installation)/.test(l.path.join(".")),
      );
      if (all.length === 0) break;
      set(
        payload,
        all[at % all.length]!.path.slice(0, 1 + (at % all[at % all.length]!.path.length)),
        value,
        value === undefined,
      );
    }
    return { name, payload };
  });

/** The run queued before the fuzz is as it was. */
async function keptUnlessStopped(): Promise<void> {
  expect(await app.store.runs.get(kept.id)).toEqual(kept);
}

describe("webhooks of every event Stamina handles", () => {
  it.prop([textChange], fuzzParameters(30))(
    "with any text where GitHub sends text: handled without error, the run as it was",
    async ({ name, payload }) => {
      area.tried();
      const [event = ""] = name.split(".");
      const posted = await area.guard(payload, () => app.deliver(event, payload));
      expect(posted.status).toBe(202);
      const outcome = await app.handled(posted.deliveryId);
      expect(outcome, `${name}: ${JSON.stringify(payload).slice(0, 1000)}`).toBe("ok");
      await keptUnlessStopped();
    },
    120_000,
  );

  it.prop([damage], fuzzParameters(30))(
    "damaged: handled, or refused naming what it lacks; no handler fails, the run as it was",
    async ({ name, payload }) => {
      area.tried();
      const [event = ""] = name.split(".");
      const posted = await area.guard(payload, () => app.deliver(event, payload));
      expect([202, 400]).toContain(posted.status);
      if (
        posted.status === 202 &&
        (JSON.parse(posted.body) as { message: string }).message === "Accepted."
      ) {
        // Recorded: "ok", or refused with the fields it lacks named (src/app/payload-shape.ts);
        // never a handler failing on what it read ("Cannot read properties of undefined").
        const outcome = await app.handled(posted.deliveryId);
        expect(outcome, `${name}: ${JSON.stringify(payload).slice(0, 1000)}`).toMatch(
          /^(ok|refused: \S+ (should be|is not valid))/,
        );
      }
      await keptUnlessStopped();
    },
    120_000,
  );
});
