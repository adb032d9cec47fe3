// One config file's text checked as a trigger checks it, but offline: read as Probot's config
// loader reads it (the same YAML library and options, an empty file as no settings), validated by
// the same schema, and every problem put at its line and column. An `_extends` names another
// repository's file, which only GitHub can give; the check says which, and leaves it unread.
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node,
} from "yaml";
import {
  ConfigError,
  EXTENDS_PATTERN,
  parseRepoConfig,
  type ConfigProblem,
  type RepoConfig,
} from "./config.ts";

/** A problem at a place in the file: `key` is the dotted path (`budget.steps`), "" for the file. */
interface PlacedProblem {
  line: number;
  col: number;
  key: string;
  message: string;
}

/** What an `_extends` names, as Probot's loader reads it: a file of another repository. */
export interface ExtendsTarget {
  value: string;
  /** Undefined: the owner of the repository the file is in. */
  owner: string | undefined;
  repo: string;
  /** Undefined: the same path as the file that extends it (`.github/stamina.yml`). */
  path: string | undefined;
  line: number;
  col: number;
}

export type ConfigCheck =
  | {
      ok: true;
      config: RepoConfig;
      /** The file's own settings, as read: which keys it sets, and which it leaves to defaults. */
      raw: Record<string, unknown>;
      extends: ExtendsTarget | undefined;
    }
  | { ok: false; problems: PlacedProblem[]; extends: ExtendsTarget | undefined };

export function checkConfigText(text: string): ConfigCheck {
  const lines = new LineCounter();
  // Probot's loader calls `yaml.parse(text, { logLevel: "error" })`: one document, warnings aside.
  const doc = parseDocument(text, { lineCounter: lines, logLevel: "error" });
  const at = (offset: number | undefined) => {
    const { line, col } = lines.linePos(offset ?? 0);
    return { line, col };
  };
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((error) => ({
      ...at(error.pos[0]),
      key: "",
      message: `not valid YAML: ${yamlReason(error.message)}`,
    }));
    return { ok: false, problems, extends: undefined };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = `not valid YAML: ${(error as Error).message}`;
    return { ok: false, problems: [{ ...at(0), key: "", message }], extends: undefined };
  }
  // The loader's own rule: an empty file (or `false`, `0`…) is a file with no settings.
  const raw: unknown = value || {};
  const target = extendsOf(raw, doc, at);
  try {
    const config = parseRepoConfig(raw);
    return { ok: true, config, raw: raw as Record<string, unknown>, extends: target };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.issues.map((issue) => place(issue, doc, at));
    problems.sort((a, b) => a.line - b.line || a.col - b.col);
    return { ok: false, problems, extends: target };
  }
}

/** The YAML library's message without the position it repeats and the excerpt under it. */
function yamlReason(message: string): string {
  return (message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
}

function place(
  issue: ConfigProblem,
  doc: Document,
  at: (offset: number | undefined) => { line: number; col: number },
): PlacedProblem {
  const found = nodeAt(doc, issue.path);
  const node = issue.at === "key" && found.key !== undefined ? found.key : found.value;
  const key = issue.path.join(".");
  return { ...at(node?.range?.[0]), key, message: key === "" ? issue.text : issue.message };
}

/**
 * The nodes at a path of keys and list positions: the value, and the key that holds it. Where
 * the path leaves the file (a key the file does not have), the deepest node it reached.
 */
function nodeAt(doc: Document, path: Array<string | number>): { value?: Node; key?: Node } {
  let value: Node | undefined = doc.contents ?? undefined;
  let key: Node | undefined;
  for (const part of path) {
    if (value !== undefined && isAlias(value)) value = value.resolve(doc);
    if (isMap(value)) {
      const pair = value.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
      if (pair === undefined) return { value, key };
      key = pair.key as Node;
      value = (pair.value ?? pair.key) as Node;
    } else if (isSeq(value) && typeof part === "number" && value.items[part] !== undefined) {
      key = undefined;
      value = value.items[part] as Node;
    } else {
      return { value, key };
    }
  }
  return { value, key };
}

function extendsOf(
  raw: unknown,
  doc: Document,
  at: (offset: number | undefined) => { line: number; col: number },
): ExtendsTarget | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const value = (raw as Record<string, unknown>)._extends;
  // Empty text extends nothing (the loader skips it); what names no repository the schema refuses.
  if (typeof value !== "string" || value === "" || !EXTENDS_PATTERN.test(value)) return undefined;
  const [name = "", path] = value.split(":");
  const slash = name.indexOf("/");
  return {
    value,
    owner: slash < 0 ? undefined : name.slice(0, slash),
    repo: slash < 0 ? name : name.slice(slash + 1),
    path,
    ...at(nodeAt(doc, ["_extends"]).value?.range?.[0]),
  };
}
