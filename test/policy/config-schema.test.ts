// The JSON Schema editors read (docs/stamina.schema.json) is the zod schema's: the committed file
// is the one `npm run docs:config` generates, and a JSON Schema validator (ajv) on it gives the
// verdict Stamina's own schema gives, on the README's examples, the cases of the config tests, a
// mutation of every key, and generated host names.
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { schemaFileText } from "../../scripts/docs-config.ts";
import { knownModels } from "../../src/model/prices.ts";
import { configJsonSchema } from "../../src/policy/config-schema.ts";
import { ConfigError, parseRepoConfig, repoConfigSchema } from "../../src/policy/config.ts";
import { ALLOW_ENTRY_PATTERN, allowEntryProblem } from "../../src/policy/network-config.ts";

type JsonSchema = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  maxLength?: number;
  maxItems?: number;
};

const SCHEMA_FILE = new URL("../../docs/stamina.schema.json", import.meta.url);
const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const schema = configJsonSchema() as JsonSchema;
const ajv = new Ajv({ allErrors: true });

function zodAccepts(raw: unknown): boolean {
  try {
    parseRepoConfig(raw);
    return true;
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
}

/**
 * zod's `z.coerce.number()` reads a value as `Number(value)` before it checks it; the JSON Schema
 * asks for the number itself. Coercing the same way first compares everything else.
 */
function coerced(value: unknown, node: JsonSchema): unknown {
  if ((node.type === "integer" || node.type === "number") && typeof value !== "number") {
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
  }
  if (node.properties && typeof value === "object" && value !== null && !Array.isArray(value)) {
    const props = node.properties;
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, props[k] ? coerced(v, props[k]) : v]),
    );
  }
  if (node.items && Array.isArray(value)) return value.map((v) => coerced(v, node.items!));
  return value;
}

/** The corpus entries on which `json` (a JSON Schema) and zod disagree. */
function disagreements(json: JsonSchema, corpus: unknown[]) {
  const validate = ajv.compile(json);
  return corpus
    .map((raw) => ({ raw, zod: zodAccepts(raw), json: validate(coerced(raw, json)) === true }))
    .filter((v) => v.zod !== v.json)
    .map(
      (v) =>
        `${JSON.stringify(v.raw)}: zod ${v.zod ? "accepts" : "refuses"}, JSON Schema ${v.json ? "accepts" : "refuses"}`,
    );
}

/** The YAML examples of the README's Configuration section, as the config loader reads them. */
function readmeExamples(): Array<Record<string, unknown>> {
  const start = README.indexOf("\n## Configuration\n");
  const section = README.slice(start, README.indexOf("\n## ", start + 1));
  return [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map(
    (m) => (parseYaml(m[1]!) || {}) as Record<string, unknown>,
  );
}

/** The inputs of test/policy/config.test.ts and network-config.test.ts, good and bad. */
const TEST_CASES: unknown[] = [
  {},
  { watchdog: { stall_steps: "40", enabled: false } },
  { watchdog: { error_share: 2, stall: 3 } },
  { setup: "npm ci", budget: { steps: "20" } },
  { build: "npm run build", test: "npm test", lint: "npm run lint" },
  { budget: { tokens: "2000000", dollars: "2.5", minutes: 30 } },
  { budget: { tokens: 10 } },
  { budget: { dollars: "lots" } },
  { budget: { dollars: 0 } },
  { budget: { minutes: 1.5 } },
  { budget: { hours: 2 } },
  { lint: "" },
  { budget: { steps: "ten" } },
  { budget: { steps: 0 } },
  { lable: "x" },
  { setup: [1] },
  { env: { "1BAD": "x" } },
  "just text",
  { model: "claude-imaginary-9" },
  { model: "claude-haiku-4-5-20251001" },
  { model: "constructor" },
  { context: { compact_at: "40000", server_side: false } },
  { context: { server_compact_at: 10_000 } },
  { context: { compact: 1 } },
  {
    approvals: { protected_paths: ["deploy/**", "infra/*.tf"], max_deleted_files: "5" },
    dry_run: true,
    instructions: "  Keep the API stable.\n",
  },
  { approvals: { protected_paths: [] } },
  {
    approvals: {
      protected_paths: "deploy/**",
      max_deleted_lines: 1.5,
      dependency_manifests: "yes",
      budget_extension: 0,
      max_deleted: 3,
    },
    dry_run: "no",
    instructions: 42,
  },
  { approvals: { max_deleted_fils: 3 } },
  { network: { allow: ["Pkgs.Example.com.", "*.example.org"], agent: true } },
  { network: {} },
  { network: { allow: ["*"] } },
  { network: { allow: ["10.0.0.1"] } },
  { network: { allow: ["pkgs.example.com", "localhost"], agent: "yes", alow: [] } },
  { network: true },
  { network: { allow: "pkgs.example.com" } },
  { network: { allow: ["", 3] } },
  { network: { allow: Array.from({ length: 101 }, (_, i) => `h${i}.example.com`) } },
];

/** Entries of network-config.test.ts, each refused for its own reason, and some it takes. */
const HOSTS = [
  ...["registry.example.com", "*.example.com", "a-1.b2.example.org", " Registry.Example.COM. "],
  ...["*", "*.com", "*.*.example.com", "**.example.com", "*example.com", "foo.*.com", "x*.com"],
  ...["10.0.0.1", "10.0.0.1:443", "::1", "[::1]", "[fd00::1]:8080", "fe80::1%eth0"],
  ...["https://10.0.0.1/simple", "2130706433", "0x7f.1", "10.1", "https://x.example.com"],
  ...["x.example.com:443", "x.example.com/path", "localhost", "LOCALHOST.", "*.localhost"],
  ...["printer.local", "metadata.google.internal", "*.home.arpa", "git.corp", "db.private"],
  ...["registry", "", "-x.example.com", "x-.example.com", "my_host.example.com", "x..example.com"],
  ...[`${"a".repeat(64)}.example.com`, `${"a".repeat(63)}.example.com`, "bücher.example.com"],
  ...[`${`${"a".repeat(60)}.`.repeat(4)}example.com`, "xn--bcher-kva.example.com", "example.123"],
  ...["a.0x", "a.0xg", "localhost.com", "example.com..", ".", "*.", "a.b", "   "],
];

const MODELS = [
  ...knownModels(),
  ...knownModels().map((m) => `${m}-20251001`),
  ...[" claude-opus-5 ", "claude-opus-5-2025", "claude-opus-5-20251001-20251001", "CLAUDE-OPUS-5"],
  ...["claude-imaginary-9", "toString", "", "  ", "claude-opus-5\n"],
];

const EXTENDS = [".github", "policies", "my-org/policies", "my-org/policies:config/stamina.yml"];

/** Every key's path in the schema, nested ones included. */
function paths(
  node: JsonSchema,
  prefix: string[] = [],
): Array<{ path: string[]; node: JsonSchema }> {
  return Object.entries(node.properties ?? {}).flatMap(([key, child]) => [
    { path: [...prefix, key], node: child },
    ...paths(child, [...prefix, key]),
  ]);
}

function withValue(base: Record<string, unknown>, path: string[], value: unknown) {
  const copy = structuredClone(base);
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  if (value === REMOVE) delete node[path.at(-1)!];
  else node[path.at(-1)!] = value;
  return copy;
}

const REMOVE = Symbol("remove");

/** Wrong types, edges of each range and length, unknown keys: for each key of the schema. */
function mutations(base: Record<string, unknown>): unknown[] {
  const out: unknown[] = [];
  for (const { path, node } of paths(schema)) {
    const values: unknown[] = [REMOVE, "text", 7, 2.5, -1, true, false, null, [], ["a"], {}];
    const { minimum, maximum, exclusiveMinimum, maxLength, maxItems } = node;
    for (const n of [minimum, maximum, exclusiveMinimum]) {
      if (n !== undefined) values.push(n, n - 1, n + 1, n + 0.5, String(n), `${n + 1}`);
    }
    if (node.type === "string" || node.anyOf !== undefined) values.push("", "   ", "a", " a ");
    if (maxLength !== undefined) values.push("x".repeat(maxLength), "x".repeat(maxLength + 1));
    if (node.type === "object")
      values.push({ zzz: 1 }, { [`${Object.keys(node.properties ?? { a: 1 })[0]}s`]: 1 });
    if (node.additionalProperties)
      values.push({ "1BAD": "x" }, { OK: 1 }, { _ok: "y" }, { "a-b": "c" });
    if (maxItems !== undefined) {
      const item = node.items?.type === "string" ? "deploy.example.com" : 1;
      values.push(
        Array.from({ length: maxItems }, () => item),
        Array.from({ length: maxItems + 1 }, () => item),
      );
    }
    out.push(...values.map((v) => withValue(base, path, v)));
  }
  out.push(...MODELS.map((model) => ({ ...base, model })));
  out.push(...HOSTS.map((host) => ({ ...base, network: { allow: [host] } })));
  out.push(...EXTENDS.map((value) => ({ ...base, _extends: value })));
  return out;
}

describe("the config's JSON Schema", () => {
  it("is the one docs/stamina.schema.json holds (run `npm run docs:config` if this fails)", async () => {
    const committed = readFileSync(SCHEMA_FILE, "utf8");
    expect(committed, "docs/stamina.schema.json is out of date: run `npm run docs:config`").toBe(
      await schemaFileText(),
    );
  });

  it("is a draft-07 schema, titled, every key described for the editor's hover", () => {
    expect(ajv.validateSchema(schema), ajv.errorsText()).toBe(true);
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.title).toContain(".github/stamina.yml");
    const undescribed = paths(schema).filter(({ node }) => typeof node.description !== "string");
    expect(undescribed.map(({ path }) => path.join("."))).toEqual([]);
  });

  it("gives the README's examples, the config tests' cases and a mutation of every key zod's verdict", () => {
    const examples = readmeExamples();
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const example of examples) expect(zodAccepts(example), JSON.stringify(example)).toBe(true);
    const base = Object.assign({ _extends: ".github" }, ...examples) as Record<string, unknown>;
    const corpus = [...examples, base, ...TEST_CASES, ...mutations(base)];
    expect(corpus.length).toBeGreaterThan(500);
    // Both verdicts occur, often: a corpus of one kind would agree with anything.
    const accepted = corpus.filter(zodAccepts).length;
    expect(accepted).toBeGreaterThan(100);
    expect(corpus.length - accepted).toBeGreaterThan(100);
    expect(disagreements(schema, corpus)).toEqual([]);
  });

  it("would not, as zod converts it alone: the price list, the host rules and blank text are added", () => {
    const plain = z.toJSONSchema(repoConfigSchema, {
      io: "input",
      target: "draft-07",
    }) as JsonSchema;
    const base = Object.assign({}, ...readmeExamples()) as Record<string, unknown>;
    const missed = disagreements(plain, mutations(base)).join("\n");
    expect(missed).toContain('"model":"claude-imaginary-9"');
    expect(missed).toContain('"allow":["localhost"]');
    expect(missed).toContain('"label":"   "');
  });

  it("takes the host names the allowlist takes, on generated names", () => {
    const pattern = new RegExp(ALLOW_ENTRY_PATTERN);
    const zodTakes = (entry: string) =>
      entry.trim() !== "" && allowEntryProblem(entry.trim()) === null;
    const label = fc.string({
      unit: fc.constantFrom(..."abcXY09-_*é"),
      minLength: 0,
      maxLength: 8,
    });
    const named = fc
      .tuple(
        fc.constantFrom("", "*.", " ", "https://"),
        fc.array(label, { minLength: 1, maxLength: 5 }),
      )
      .map(([prefix, labels]) => `${prefix}${labels.join(".")}`)
      .chain((name) =>
        fc.constantFrom(
          name,
          `${name}.`,
          `${name}.local`,
          `${name}:80`,
          `${name}.0x1f`,
          `${name}.com`,
        ),
      );
    const long = fc
      .tuple(fc.integer({ min: 55, max: 64 }), fc.integer({ min: 1, max: 5 }))
      .map(
        ([size, count]) =>
          `${Array.from({ length: count }, () => "a".repeat(size)).join(".")}.example.com`,
      );
    fc.assert(
      fc.property(fc.oneof(named, long, fc.string({ maxLength: 20 })), (entry) => {
        expect(pattern.test(entry), JSON.stringify(entry)).toBe(zodTakes(entry));
      }),
      { numRuns: 3_000 },
    );
  });

  it("differs where it says it does: a number written as text, and blanks past a length", () => {
    const validate = ajv.compile(schema);
    // Stamina reads `steps: "20"` as 20; the schema asks for the number, so editors flag it.
    expect(zodAccepts({ budget: { steps: "20" } })).toBe(true);
    expect(validate({ budget: { steps: "20" } })).toBe(false);
    // Stamina trims text before it counts; the schema counts the blanks.
    const padded = { label: `${"x".repeat(50)}  ` };
    expect(zodAccepts(padded)).toBe(true);
    expect(validate(padded)).toBe(false);
  });
});
