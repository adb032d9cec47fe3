// GitHub's REST surface from @octokit/openapi (GHES 3.19): which method+path pairs exist, and
// whether a JSON body meets its operation's `requestBody` schema (required and top-level types).
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import type { ValidationErrorItem } from "./http-io.ts";

const SPEC = "@octokit/openapi/generated/ghes-3.19.json";

type Json = Record<string, unknown>;

export interface Operation {
  operationId?: string;
  requestBody?: Json;
}

interface CompiledPath {
  template: string;
  regex: RegExp;
  paramNames: string[];
  literalSegments: number;
  methods: Map<string, Operation>;
}

export interface OpenApi {
  paths: CompiledPath[];
  document: Json;
}

export interface RouteMatch {
  /** e.g. "GET /repos/{owner}/{repo}" */
  key: string;
  params: Record<string, string>;
  operation: Operation;
}

let loading: Promise<OpenApi> | undefined;

/** Loads and compiles the description once per process. */
export function loadOpenApi(): Promise<OpenApi> {
  loading ??= (async () => {
    const file = createRequire(import.meta.url).resolve(SPEC);
    const document = JSON.parse(await readFile(file, "utf8")) as Json;
    const paths = Object.entries(asRecord(document.paths)).map(([template, item]) =>
      compile(template, asRecord(item)),
    );
    // Most literal segments first, so `/issues/comments` beats `/issues/{issue_number}`.
    paths.sort((a, b) => b.literalSegments - a.literalSegments);
    return { paths, document };
  })();
  return loading;
}

/** Trailing `{path}` and `{ref}` may hold slashes (`contents/.github/x.yml`, `git/ref/heads/x`). */
const GREEDY_TAIL = new Set(["path", "ref"]);
const HTTP_METHODS = new Set(["get", "post", "put", "patch", "delete", "head", "options"]);

function compile(template: string, item: Json): CompiledPath {
  const paramNames: string[] = [];
  const segments = template.split("/").slice(1);
  let literalSegments = 0;
  const pattern = segments
    .map((segment, index) => {
      if (!segment.includes("{")) {
        literalSegments += 1;
        return escapeRegExp(segment);
      }
      return segment
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const name = /^\{([^}]+)\}$/.exec(part)?.[1];
          if (name === undefined) return escapeRegExp(part);
          paramNames.push(name);
          const greedy = index === segments.length - 1 && GREEDY_TAIL.has(name);
          return greedy ? "(.+)" : "([^/]+)";
        })
        .join("");
    })
    .join("/");
  const methods = new Map<string, Operation>();
  for (const [method, operation] of Object.entries(item)) {
    if (HTTP_METHODS.has(method)) methods.set(method.toUpperCase(), asRecord(operation));
  }
  return {
    template,
    regex: new RegExp(`^/${pattern}$`),
    paramNames,
    literalSegments,
    methods,
  };
}

/** `rawPath` is below `/api/v3`, still percent-encoded. */
export function matchRoute(api: OpenApi, method: string, rawPath: string): RouteMatch | undefined {
  for (const path of api.paths) {
    const operation = path.methods.get(method);
    if (!operation) continue;
    const match = path.regex.exec(rawPath);
    if (!match) continue;
    const params: Record<string, string> = {};
    path.paramNames.forEach((name, i) => {
      params[name] = safeDecode(match[i + 1] ?? "");
    });
    return { key: `${method} ${path.template}`, params, operation };
  }
  return undefined;
}

/** Checks a parsed JSON body against the operation's schema, as far as its top level. */
export function validateBody(
  api: OpenApi,
  operation: Operation,
  body: unknown,
): ValidationErrorItem[] {
  const requestBody = operation.requestBody && resolve(api, operation.requestBody);
  const content = asRecord(asRecord(requestBody?.content)["application/json"]);
  const schema = content.schema === undefined ? undefined : resolve(api, content.schema);
  if (!schema) return [];
  const resource = "Request";
  if (
    schema.type === "object" &&
    (typeof body !== "object" || body === null || Array.isArray(body))
  ) {
    return [{ resource, code: "invalid", message: `${describe(body)} is not an object.` }];
  }
  const values = asRecord(body);
  const errors: ValidationErrorItem[] = [];
  for (const field of asStringArray(schema.required)) {
    if (values[field] === undefined) {
      errors.push({
        resource,
        field,
        code: "missing_field",
        message: `"${field}" wasn't supplied.`,
      });
    }
  }
  for (const [field, propertySchema] of Object.entries(asRecord(schema.properties))) {
    const value = values[field];
    if (value === undefined) continue;
    const problem = typeProblem(api, resolve(api, propertySchema), value);
    if (problem) {
      errors.push({
        resource,
        field,
        code: "invalid",
        message: `For 'properties/${field}', ${describe(value)} ${problem}.`,
      });
    }
  }
  return errors;
}

/** Why `value` does not fit `schema`, or undefined when it fits. */
function typeProblem(api: OpenApi, schema: Json, value: unknown): string | undefined {
  const alternatives = [schema.oneOf, schema.anyOf].find(Array.isArray);
  if (alternatives) {
    const fits = alternatives.some((alt) => !typeProblem(api, resolve(api, alt), value));
    return fits ? undefined : "does not match any of the allowed schemas";
  }
  const types = Array.isArray(schema.type)
    ? asStringArray(schema.type)
    : typeof schema.type === "string"
      ? [schema.type]
      : [];
  if (value === null) {
    return schema.nullable === true || types.includes("null") ? undefined : "is not nullable";
  }
  if (types.length > 0 && !types.some((type) => hasType(type, value))) {
    return `is not ${types.map(article).join(" or ")}`;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    return `is not a member of [${schema.enum.map(String).join(", ")}]`;
  }
  return undefined;
}

function hasType(type: string, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number";
    case "boolean":
      return typeof value === "boolean";
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "null":
      return value === null;
    default:
      return true;
  }
}

const article = (type: string): string => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`);

const describe = (value: unknown): string => JSON.stringify(value) ?? String(value);

/** Follows local `$ref`s (`#/components/...`) until a schema object remains. */
function resolve(api: OpenApi, node: unknown): Json {
  let current = asRecord(node);
  for (let hops = 0; typeof current.$ref === "string" && hops < 20; hops++) {
    const pointer = current.$ref.replace(/^#\//, "").split("/");
    let target: unknown = api.document;
    for (const part of pointer)
      target = asRecord(target)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    current = asRecord(target);
  }
  return current;
}

function asRecord(value: unknown): Json {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

function asStringArray(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch (error) {
    if (error instanceof URIError) return text; // a stray '%' is a literal, as GitHub treats it
    throw error;
  }
}
