// `npm run docs:config`: writes the config reference, rendered from the schema, into README.md
// (formatted as `prettier --check` wants it, so the two never disagree).
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as prettier from "prettier";
import { withReference } from "../src/policy/config-reference.ts";

const README = new URL("../README.md", import.meta.url);

export async function formatReadme(text: string): Promise<string> {
  const path = fileURLToPath(README);
  const options = (await prettier.resolveConfig(path)) ?? {};
  return prettier.format(text, { ...options, filepath: path });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const before = readFileSync(README, "utf8");
  const after = await formatReadme(withReference(before));
  writeFileSync(README, after);
  console.log(
    before === after
      ? "README.md: the config reference is up to date"
      : "README.md: the config reference was rewritten",
  );
}
