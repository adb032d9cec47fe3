// `npm run docs:config`: writes the config reference, rendered from the schema, into
// docs/configuration.md (formatted as `prettier --check` wants it, so the two never disagree).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { withReference } from "../src/policy/config-reference.ts";

const REFERENCE_DOC = new URL("../docs/configuration.md", import.meta.url);
const NAME = "docs/configuration.md";

export async function formatReferenceDoc(text: string): Promise<string> {
  const path = fileURLToPath(REFERENCE_DOC);
  const options = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...options, filepath: path });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const before = readFileSync(REFERENCE_DOC, "utf8");
  const after = await formatReferenceDoc(withReference(before));
  writeFileSync(REFERENCE_DOC, after);
  console.log(
    before === after
      ? `${NAME}: the config reference is up to date`
      : `${NAME}: the config reference was rewritten`,
  );
}
