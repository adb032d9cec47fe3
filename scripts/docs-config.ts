// `npm run docs:config`: writes what is generated from the repository config's schema, each
// formatted as `prettier --check` wants it, so the two never disagree: the config reference in
// docs/configuration.md, and the JSON Schema editors read, docs/stamina.schema.json.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { withReference } from "../src/policy/config-reference.ts";
import { configJsonSchema } from "../src/policy/config-schema.ts";

const REFERENCE_DOC = new URL("../docs/configuration.md", import.meta.url);
export const SCHEMA_FILE = new URL("../docs/stamina.schema.json", import.meta.url);

async function formatted(file: URL, text: string): Promise<string> {
  const path = fileURLToPath(file);
  const options = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...options, filepath: path });
}

export function formatReferenceDoc(text: string): Promise<string> {
  return formatted(REFERENCE_DOC, text);
}

/** docs/stamina.schema.json as the schema generates it today. */
export function schemaFileText(): Promise<string> {
  return formatted(SCHEMA_FILE, JSON.stringify(configJsonSchema(), null, 2));
}

async function rewrite(file: URL, what: string, next: (before: string) => Promise<string>) {
  const name = fileURLToPath(file).replace(fileURLToPath(new URL("..", import.meta.url)), "");
  let before = "";
  try {
    before = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const after = await next(before);
  writeFileSync(file, after);
  console.log(
    before === after ? `${name}: ${what} is up to date` : `${name}: ${what} was rewritten`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await rewrite(REFERENCE_DOC, "the config reference", (doc) =>
    formatReferenceDoc(withReference(doc)),
  );
  await rewrite(SCHEMA_FILE, "the JSON Schema", () => schemaFileText());
}
