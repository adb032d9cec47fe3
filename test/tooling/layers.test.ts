// The layer checker itself: `npm run layers` (dependency-cruiser with .dependency-cruiser.cjs)
// run on small trees written to a temp dir, so a config that stopped catching an upward import
// or a circle fails here instead of passing silently on the real tree. The trees live in a temp
// dir, not in the repository, so tsc, eslint and knip never see them as code of ours.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../", import.meta.url));
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The `layers` script's own arguments, with the real config and the installed depcruise. */
function layersCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  };
  const [bin, ...args] = (pkg.scripts.layers ?? "").split(/\s+/);
  expect(bin).toBe("depcruise");
  return [
    join(root, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs"),
    ...args.map((arg) => (arg.endsWith(".dependency-cruiser.cjs") ? join(root, arg) : arg)),
  ];
}

/** Writes `files` (and the repository's compiler options) to a temp dir and runs the checker there. */
function cruise(files: Record<string, string>): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), "stamina-layers-"));
  dirs.push(dir);
  writeFileSync(join(dir, "tsconfig.json"), readFileSync(join(root, "tsconfig.json")));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return new Promise((resolve) => {
    execFile(process.execPath, layersCommand(), { cwd: dir }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/** One file per room, each importing the file of the floor below (main.ts imports them all). */
const respectsTheFloors: Record<string, string> = {
  "src/main.ts": [
    'import { cli } from "./cli/run.ts";',
    'import { settings } from "./settings.ts";',
    'import { app } from "./app/app.ts";',
    'import { store } from "./store/store.ts";',
    'import { model } from "./model/model.ts";',
    'import { audit } from "./audit/log.ts";',
    "console.log(cli, settings, app, store, model, audit);",
  ].join("\n"),
  "src/settings.ts": 'import { cli } from "./cli/run.ts";\nexport const settings = cli;\n',
  "src/cli/run.ts": 'import { runs } from "../runs/run.ts";\nexport const cli = runs;\n',
  "src/app/app.ts": 'import { kind } from "../runs/kinds/kind.ts";\nexport const app = kind;\n',
  "src/runs/run.ts": 'import { kind } from "./kinds/kind.ts";\nexport const runs = kind;\n',
  "src/runs/kinds/kind.ts":
    'import { surface } from "../../surface/surface.ts";\nexport const kind = surface;\n',
  "src/surface/surface.ts":
    'import { github } from "../github/port.ts";\nexport const surface = github;\n',
  "src/github/port.ts": 'import { agent } from "../agent/loop.ts";\nexport const github = agent;\n',
  "src/store/store.ts": [
    'import type { Agent } from "../agent/loop.ts";',
    'import { version } from "../version.ts";',
    "export const store: Agent = version;",
  ].join("\n"),
  "src/agent/loop.ts": [
    'import { policy } from "../policy/config.ts";',
    "export type Agent = number;",
    "export const agent: Agent = policy;",
  ].join("\n"),
  "src/policy/config.ts":
    'import { workspace } from "../workspace/git.ts";\nexport const policy = workspace;\n',
  "src/workspace/git.ts":
    'import { log } from "../observability/logger.ts";\nexport const workspace = log;\n',
  "src/model/model.ts":
    'import { log } from "../observability/logger.ts";\nexport const model = log;\n',
  "src/audit/log.ts": 'import { version } from "../version.ts";\nexport const audit = version;\n',
  "src/observability/logger.ts": "export const log = 1;\n",
  "src/version.ts": "export const version = 1;\n",
};

/** One tree breaking each rule once, in files of its own, so each case reads one line. */
const breaksEachRule: Record<string, string> = {
  "src/main.ts": [
    'import { up } from "./agent/up.ts";',
    'import { typeUp } from "./agent/type-up.ts";',
    'import { a } from "./store/a.ts";',
    'import { s } from "./store/s.ts";',
    'import { h } from "./helpers/h.ts";',
    'import { typo } from "./model/typo.ts";',
    "console.log(up, typeUp, a, s, h, typo);",
  ].join("\n"),
  // agent imports from runs, three floors up
  "src/agent/up.ts": 'import { y } from "../runs/y.ts";\nexport const up = y;\n',
  "src/runs/y.ts": "export const y = 1;\n",
  // a type-only import is an arrow too
  "src/agent/type-up.ts": [
    'import type { Run } from "../store/run.ts";',
    "export const typeUp: Run | undefined = undefined;",
  ].join("\n"),
  "src/store/run.ts": "export interface Run {\n  id: string;\n}\n",
  // a circle of two files, one arrow of it type-only
  "src/store/a.ts": 'import { b } from "./b.ts";\nexport const a = b;\nexport type A = number;\n',
  "src/store/b.ts": 'import type { A } from "./a.ts";\nexport const b: A = 1;\n',
  // two rooms of one floor
  "src/store/s.ts": 'import { g } from "../github/g.ts";\nexport const s = g;\n',
  "src/github/g.ts": "export const g = 1;\n",
  // a folder the table does not know, importing test code
  "src/helpers/h.ts": 'import { t } from "../../test/t.ts";\nexport const h = t;\n',
  "test/t.ts": "export const t = 1;\n",
  // an import of nothing, and a module nothing imports
  "src/model/typo.ts": 'import { nothing } from "./nothing.ts";\nexport const typo = nothing;\n',
  "src/audit/dead.ts": "export const dead = 1;\n",
};

describe("npm run layers", () => {
  it("passes on a tree that respects the floors", async () => {
    const { code, output } = await cruise(respectsTheFloors);
    expect(output).toContain("no dependency violations found");
    expect(code).toBe(0);
  });

  describe("on a tree that breaks them", () => {
    let result: { code: number; output: string };
    beforeAll(async () => {
      result = await cruise(breaksEachRule);
    });

    it("fails", () => {
      expect(result.code).not.toBe(0);
    });

    it("names the file that imports a floor above its own, and the rule it breaks", () => {
      expect(result.output).toContain("agent-not-up: src/agent/up.ts → src/runs/y.ts");
    });

    it("counts a type-only import as an arrow", () => {
      expect(result.output).toContain("agent-not-up: src/agent/type-up.ts → src/store/run.ts");
    });

    it("names both files of an import circle, type-only arrows included", () => {
      expect(result.output).toMatch(
        /no-circular: src\/store\/a\.ts →\s+src\/store\/b\.ts →\s+src\/store\/a\.ts/,
      );
    });

    it("keeps the rooms of one floor apart", () => {
      expect(result.output).toContain("store-not-github: src/store/s.ts → src/github/g.ts");
    });

    it("refuses a folder the table does not know, and src importing test code", () => {
      expect(result.output).toContain("import-not-on-a-floor: src/main.ts → src/helpers/h.ts");
      expect(result.output).toContain("not-on-a-floor: src/helpers/h.ts");
      expect(result.output).toContain("src-not-test-or-bench: src/helpers/h.ts → test/t.ts");
    });

    it("refuses an unresolvable import and an orphan", () => {
      expect(result.output).toContain("not-to-unresolvable: src/model/typo.ts → ./nothing.ts");
      expect(result.output).toContain("no-orphans: src/audit/dead.ts");
    });
  });
});
