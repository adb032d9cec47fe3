// The JSON Schema of `.github/stamina.yml`, generated from the zod schema (`npm run docs:config`
// writes it to docs/stamina.schema.json), so an editor completes the keys, shows their
// descriptions and flags a wrong value as it is typed. It describes the file as written (zod's
// input), in draft-07, which editors' YAML support reads best.
//
// What zod's own conversion leaves out is added here, so the two give one verdict (a test holds
// them to it): a text that must not be blank gets `pattern: "\S"` (the schema trims text before
// it counts), `model` names the price table's models, and `network.allow` takes the host names
// `allowEntryProblem` does. Two differences are deliberate: Stamina also reads a number written
// as text (`"20"`), which the JSON Schema asks to be written as a number, and it trims text
// before it checks a length, where the JSON Schema counts the blanks around it too.
import { z } from "zod";
import { knownModels } from "../model/prices.ts";
import { CONFIG_PATH, repoConfigSchema } from "./config.ts";
import { ALLOW_ENTRY_PATTERN } from "./network-config.ts";

type JsonSchema = Record<string, unknown>;

export function configJsonSchema(): JsonSchema {
  const generated = z.toJSONSchema(repoConfigSchema, {
    io: "input",
    target: "draft-07",
    // Nothing in the schema is unrepresentable today; a key that is must fail here, not turn
    // into "anything goes" unnoticed.
    unrepresentable: "throw",
    override: ({ zodSchema, jsonSchema }) => {
      if (trimsText(zodSchema) && (jsonSchema.minLength ?? 0) >= 1) jsonSchema.pattern ??= "\\S";
    },
  }) as JsonSchema;
  const { $schema, ...rest } = generated;
  const schema: JsonSchema = {
    $schema,
    title: `Stamina's repository config (${CONFIG_PATH})`,
    description: `What Stamina does in a repository: its label, model, checks, budgets and policy. Every key is optional. Generated from Stamina's own schema by \`npm run docs:config\`; the reference is docs/configuration.md.`,
    ...rest,
  };
  const model = propertyAt(schema, ["model"]);
  delete model.minLength;
  delete model.pattern;
  model.anyOf = [{ enum: knownModels() }, { pattern: modelPattern() }];
  const allow = propertyAt(schema, ["network", "allow"]);
  allow.items = { ...(allow.items as JsonSchema), pattern: ALLOW_ENTRY_PATTERN };
  return schema;
}

/** A model `priceOf` knows: a listed id, or one with a date after it (`-20251001`), blanks around. */
function modelPattern(): string {
  const escape = (id: string) => id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return `^\\s*(?:${knownModels().map(escape).join("|")})(?:-[0-9]{8})?\\s*$`;
}

/** A text schema that trims its input before its checks (zod's `.trim()`, an overwrite). */
function trimsText(schema: z.core.$ZodType): boolean {
  const def = schema._zod.def as { type: string; checks?: z.core.$ZodCheck[] };
  if (def.type !== "string") return false;
  return (def.checks ?? []).some((check) => {
    const c = check._zod.def as { check: string; tx?: (input: string) => string };
    return c.check === "overwrite" && c.tx?.(" x ") === "x";
  });
}

function propertyAt(schema: JsonSchema, path: string[]): JsonSchema {
  let node = schema;
  for (const key of path) {
    const next = (node.properties as Record<string, JsonSchema> | undefined)?.[key];
    if (next === undefined) throw new Error(`the config schema has no key ${path.join(".")}`);
    node = next;
  }
  return node;
}
