// Generated bad config, as a person may write it: `checkConfigText` (`stamina config check`)
// and the schema over generated files, and `_extends` chains of generated files read through
// the real app from the fake GitHub when an issue is labelled. Nothing crashes, a refusal says
// what is wrong in words, and a run already in the store is left as it was.
import { randomUUID } from "node:crypto";
import { fc, it } from "@fast-check/vitest";
import { afterAll, beforeAll, describe, expect } from "vitest";
import { mergeConfigs } from "../../src/app/repo-config.ts";
import { checkConfigText } from "../../src/policy/config-file.ts";
import { ConfigError, parseRepoConfig } from "../../src/policy/config.ts";
import { startFakeGitHub, type FakeGitHub } from "../support/fake-github/index.ts";
import { APP_PUBLIC_KEY, startApp, type AppUnderTest } from "../support/app-harness.ts";
import type { Run } from "../../src/store/types.ts";
import { examplePayload } from "../support/webhooks.ts";
import { configObject, configText, extendsValue } from "./config-input.ts";
import { expectClearMessage, fuzzArea, fuzzParameters } from "./fuzz.ts";

const area = fuzzArea("config");

describe("a config file's text, checked offline", () => {
  it.prop([configText(configObject)], fuzzParameters(200))(
    "is read or refused at a line and column, in words, whatever it holds",
    (text) => {
      area.tried();
      const check = area.guard(text, () => checkConfigText(text));
      if (check.ok) return;
      expect(check.problems.length).toBeGreaterThan(0);
      for (const p of check.problems) {
        expect(p.line).toBeGreaterThanOrEqual(1);
        expect(p.col).toBeGreaterThanOrEqual(1);
        expectClearMessage(p.message, `problem at ${p.line}:${p.col} of ${JSON.stringify(text)}`);
      }
    },
  );

  it.prop([fc.oneof(configObject, fc.anything())], fuzzParameters(300))(
    "parsed values: the schema accepts them or throws a ConfigError naming each key",
    (raw) => {
      area.tried();
      const refusal = area.guard(raw, () => {
        try {
          parseRepoConfig(raw);
          return undefined;
        } catch (error) {
          if (error instanceof ConfigError) return error;
          throw error;
        }
      });
      if (refusal === undefined) return;
      expect(refusal.problems.length).toBeGreaterThan(0);
      for (const p of refusal.problems) expectClearMessage(p, JSON.stringify(raw));
    },
  );

  it.prop([configObject, configObject], fuzzParameters(200))(
    "merging org defaults: the repository's own values win, the rest are the org's",
    (base, own) => {
      area.tried();
      const merged = mergeConfigs([base, own]);
      const record = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
      for (const key of Object.keys(own)) {
        // A value that is not a mapping on either side is the repository's own, whole.
        if (!record(own[key]) || !record(base[key])) expect(merged[key]).toEqual(own[key]);
      }
      for (const key of Object.keys(base)) {
        if (!Object.hasOwn(own, key)) expect(merged[key]).toEqual(base[key]);
      }
      expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    },
  );
});

const ORG = "octo-org";
let github: FakeGitHub;
let app: AppUnderTest;

beforeAll(async () => {
  github = await startFakeGitHub({ appId: 1, appPublicKeyPem: APP_PUBLIC_KEY });
  github.addInstallation(1, ORG);
  app = await startApp({ apiUrl: github.apiUrl });
});

afterAll(async () => {
  await app?.close();
  await github?.close();
});

/** Labels issue #1 of `repo` `stamina` (GitHub's example payload); resolves once handled. */
async function label(repo: string): Promise<string> {
  const payload = examplePayload<{
    label: { name: string };
    sender: { login: string };
    repository: { name: string; full_name: string; owner: { login: string } };
  }>("issues", "labeled");
  payload.repository.owner.login = ORG;
  payload.repository.name = repo;
  payload.repository.full_name = `${ORG}/${repo}`;
  payload.label.name = "stamina";
  payload.sender.login = "maintainer";
  const posted = await app.deliver("issues", payload);
  return app.handled(posted.deliveryId);
}

async function repository(name: string, config: string | undefined): Promise<void> {
  await github.createRepository({
    owner: ORG,
    name,
    installationId: 1,
    files: config === undefined ? { "README.md": "hello\n" } : { ".github/stamina.yml": config },
  });
  github.setPermission(ORG, name, "maintainer", "write");
}

/** A chain of up to three repositories, each file extending the next (or something else). */
const chain = fc
  .array(fc.tuple(configText(configObject), fc.boolean(), fc.boolean()), {
    minLength: 1,
    maxLength: 3,
  })
  .chain((files) =>
    fc.tuple(
      fc.constant(files),
      fc.array(extendsValue(["r1", "r2", "r0"]), {
        minLength: files.length,
        maxLength: files.length,
      }),
    ),
  );

describe("`_extends` chains read by the app when an issue is labelled", () => {
  let kept: Run;
  let before: Run | undefined;
  let tried = 0;
  beforeAll(async () => {
    await repository("sound", "label: stamina\n");
    expect(await label("sound")).toBe("ok");
    [kept] = (await app.store.runs.list()) as [Run];
    before = await app.store.runs.get(kept.id);
    expect(before).toBeDefined();
  });

  it.prop([chain], fuzzParameters(5))(
    "start a run or say in one comment what is wrong, and leave another run as it was",
    async ([files, extendsOf]) => {
      area.tried();
      const prefix = `c${++tried}-${randomUUID().slice(0, 6)}`;
      for (const [i, [text, extend, present]] of files.entries()) {
        // `_extends` added as the file's first line (where it is read even if the rest is damaged).
        const target = extendsOf[i];
        const named =
          typeof target === "string" ? target.replace(/\br(\d)\b/, `${prefix}-r$1`) : target;
        const line = extend ? `_extends: ${JSON.stringify(named)}\n` : "";
        if (i === 0 || present) await repository(`${prefix}-r${i}`, line + text);
      }
      const outcome = await label(`${prefix}-r0`);
      expect(outcome).toBe("ok");
      const runs = (await app.store.runs.list()).filter((r) => r.repo === `${prefix}-r0`);
      const comments = github.issueComments(ORG, `${prefix}-r0`, 1).map((c) => c.body);
      const refusals = comments.filter((c) => c.startsWith("⚠️ Stamina did not start"));
      if (runs.length === 0) {
        // Refused in words, or a label of another name configured (nothing to do).
        for (const c of refusals) {
          for (const line of c.split("\n").filter((l) => l.startsWith("- "))) {
            expectClearMessage(line, `refusal for ${JSON.stringify(files)}`);
          }
        }
      } else {
        expect(runs).toHaveLength(1);
        expect(refusals).toEqual([]);
      }
      expect(await app.store.runs.get(kept.id)).toEqual(before);
    },
    120_000,
  );
});
