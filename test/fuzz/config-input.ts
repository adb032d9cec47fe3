// Generated repository configs for the config fuzz: values shaped by the config's own JSON
// Schema (each key valid, of the wrong type, or out of range), unknown keys beside them, the
// YAML text they make, and that text damaged a character at a time.
import fc from "fast-check";
import { stringify } from "yaml";
import { configJsonSchema } from "../../src/policy/config-schema.ts";

type Node = Record<string, unknown> & {
  type?: string;
  properties?: Record<string, Node>;
  items?: Node;
  anyOf?: Node[];
  enum?: unknown[];
};

const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom(
    "",
    " ",
    "stamina",
    "npm test",
    "claude-sonnet-5-5",
    "*.example.com",
    "ü€😀",
    "\t",
  ),
);
/** Anything YAML can hold: what a person may write where any key is. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.oneof(text, fc.integer(), fc.double(), fc.boolean(), fc.constant(null)),
  },
  { weight: 1, arbitrary: fc.array(fc.oneof(text, fc.integer()), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(text, fc.oneof(text, fc.integer()), { maxKeys: 3 }) },
);
const number = fc.oneof(
  fc.integer({ min: -5, max: 200 }),
  fc.constantFrom(0, 1, -1, 1e12, 0.5, Number.MAX_SAFE_INTEGER),
  fc.integer({ min: 0, max: 500 }).map(String),
);

function valueFor(node: Node, depth: number): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [anyValue];
  if (node.properties && depth < 3)
    options.push(objectFor(node, depth + 1), objectFor(node, depth + 1));
  if (node.type === "integer" || node.type === "number") options.push(number, number);
  if (node.type === "boolean") options.push(fc.boolean(), fc.constantFrom("yes", "true", "no"));
  if (node.type === "string") options.push(text, text);
  if (node.type === "array")
    options.push(fc.array(node.items ? valueFor(node.items, depth + 1) : text, { maxLength: 3 }));
  if (node.enum) options.push(fc.constantFrom(...node.enum));
  for (const alternative of node.anyOf ?? []) options.push(valueFor(alternative, depth + 1));
  if (node.type === "object" && !node.properties) {
    options.push(
      fc.dictionary(fc.constantFrom("NODE_ENV", "A", "lower", "1BAD", "PATH", ""), text, {
        maxKeys: 3,
      }),
    );
  }
  return fc.oneof(...options);
}

function objectFor(node: Node, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const known = fc.record(
    Object.fromEntries(
      Object.entries(node.properties ?? {}).map(([k, v]) => [k, valueFor(v, depth)]),
    ),
    { requiredKeys: [] },
  );
  // Typos of known keys, and keys that mean something to JavaScript.
  const unknownKey = fc.oneof(
    fc.constantFrom(...Object.keys(node.properties ?? {})).map((k) => `${k}s`),
    fc.constantFrom("__proto__", "constructor", "toString", "Label", "steps ", "budgets"),
    fc.string({ minLength: 1, maxLength: 8 }),
  );
  const extra = fc.dictionary(unknownKey, anyValue, { maxKeys: 2 });
  return fc
    .tuple(
      known,
      fc.oneof({ weight: 3, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: extra }),
    )
    .map(([k, e]) => ({ ...e, ...k }));
}

const schema = configJsonSchema() as Node;

/** A config as a person might write it: keys the schema knows with values of any kind. */
export const configObject = objectFor(schema, 0);

/** What `_extends` may say: a repository of the org, another org's, a file in it, or nonsense. */
export function extendsValue(names: string[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constantFrom(...names),
    fc.constantFrom(...names).map((n) => `${n}:.github/stamina.yml`),
    fc.constantFrom(...names).map((n) => `octo-org/${n}`),
    fc.constantFrom("absent-repo", "other-org/repo", "octo-org/absent:x.yml", ".github:nope.yml"),
    fc.constantFrom("", "a/b/c", "::", "../../etc", "x:", 42, true, null, ["a"], { repo: "x" }),
  );
}

/** Damage to YAML text: a character or token inserted where it breaks or changes the document. */
const damage = fc.constantFrom(
  "\t",
  ":",
  ": ",
  "- ",
  "[",
  "]",
  "{",
  "}",
  "&a ",
  "*a",
  "*b",
  "<<: *a\n",
  "!!binary ",
  "!!js/function ",
  "'",
  '"',
  "#",
  "\n",
  "  ",
  "%YAML 1.2\n---\n",
  "---\n",
  "...\n",
  "? ",
  "|",
  ">",
  "\u0000",
  "\uFEFF",
);

/** The YAML text of a config, sometimes damaged at a few places. */
export function configText(value: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  const clean = value.map((v) => stringify(v));
  const damaged = fc
    .tuple(clean, fc.array(fc.tuple(fc.nat(), damage), { minLength: 1, maxLength: 3 }))
    .map(([t, edits]) =>
      edits.reduce(
        (s, [at, d]) => s.slice(0, at % (s.length + 1)) + d + s.slice(at % (s.length + 1)),
        t,
      ),
    );
  const odd = fc.constantFrom(
    "",
    "~",
    "false",
    "0",
    "[]",
    "just text",
    "a: &a [*a]",
    "a: !!set {x}",
    "- 1\n- 2",
    "label: [",
    "budget:\n  steps: &s 1\n  tokens: *s",
    "x: &x\n  y: *x",
    "label: stamina\nlabel: again",
  );
  return fc.oneof(
    { weight: 4, arbitrary: clean },
    { weight: 4, arbitrary: damaged },
    { weight: 1, arbitrary: odd },
  );
}
