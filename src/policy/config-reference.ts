// The README's config reference, rendered from the schema itself (`npm run docs:config`):
// every key with its type, its default and its description, so the reference cannot drift.
import { z } from "zod";
import { parseRepoConfig, repoConfigSchema } from "./config.ts";

export const REFERENCE_START = "<!-- config-reference:start (npm run docs:config) -->";
const REFERENCE_END = "<!-- config-reference:end -->";

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  maxLength?: number;
}

export interface ReferenceRow {
  key: string;
  type: string;
  default: string;
  description: string;
}

/** One row per key, nested keys as `parent.child`, in the schema's order. */
export function referenceRows(): ReferenceRow[] {
  const schema = z.toJSONSchema(repoConfigSchema, { io: "input" }) as JsonSchema;
  // Defaults as the parser fills them in, so a transform's default is shown as it is used.
  const defaults = parseRepoConfig({}) as Record<string, unknown>;
  const rows: ReferenceRow[] = [];
  const walk = (properties: Record<string, JsonSchema>, prefix: string[]) => {
    for (const [name, property] of Object.entries(properties)) {
      const path = [...prefix, name];
      rows.push({
        key: path.join("."),
        type: typeOf(property),
        default: defaultOf(defaults, path),
        description: property.description ?? "",
      });
      if (property.type === "object" && property.properties) walk(property.properties, path);
    }
  };
  walk(schema.properties ?? {}, []);
  return rows;
}

export function renderReference(): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  return [
    "| key | type | default | description |",
    "| --- | --- | --- | --- |",
    ...referenceRows().map(
      (r) => `| \`${r.key}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.description)} |`,
    ),
  ].join("\n");
}

/** The README with its reference replaced; throws if the markers are missing. */
export function withReference(readme: string, reference = renderReference()): string {
  const start = readme.indexOf(REFERENCE_START);
  const end = readme.indexOf(REFERENCE_END);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no "${REFERENCE_START}" … "${REFERENCE_END}" markers`);
  }
  return `${readme.slice(0, start + REFERENCE_START.length)}\n\n${reference}\n\n${readme.slice(end)}`;
}

function typeOf(s: JsonSchema): string {
  if (s.anyOf) {
    const kinds = s.anyOf.filter((k) => k.type !== "null");
    const nullable = kinds.length < s.anyOf.length;
    const text = kinds.map(typeOf).join(" or ");
    return nullable ? `${text} (or unset)` : text;
  }
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(" or ");
  const range = rangeOf(s);
  switch (s.type) {
    case "integer":
      return `whole number${range}`;
    case "number":
      return `number${range}`;
    case "string":
      return "text";
    case "boolean":
      return "true or false";
    case "array":
      return `list of ${s.items ? typeOf(s.items) : "values"}`;
    case "object":
      return s.properties ? "mapping" : "mapping of NAME: text";
    default:
      return s.type ?? "any";
  }
}

function rangeOf(s: JsonSchema): string {
  const n = (v: number) => v.toLocaleString("en-US");
  const low =
    s.exclusiveMinimum !== undefined
      ? `more than ${n(s.exclusiveMinimum)}`
      : s.minimum !== undefined
        ? n(s.minimum)
        : undefined;
  if (low === undefined || s.maximum === undefined) return "";
  return s.exclusiveMinimum !== undefined
    ? `, ${low}, at most ${n(s.maximum)}`
    : `, ${low} to ${n(s.maximum)}`;
}

function defaultOf(defaults: Record<string, unknown>, path: string[]): string {
  let value: unknown = defaults;
  for (const part of path) {
    value =
      typeof value === "object" && value !== null
        ? (value as Record<string, unknown>)[part]
        : undefined;
  }
  if (value === undefined || value === null || value === "") return "—";
  if (typeof value === "object" && !Array.isArray(value)) {
    return Object.keys(value).length === 0 ? "`{}`" : "see below";
  }
  if (Array.isArray(value)) return value.length === 0 ? "`[]`" : `\`${JSON.stringify(value)}\``;
  // Text, a number or true/false: written as in YAML.
  return `\`${JSON.stringify(value).replace(/^"|"$/g, "")}\``;
}
