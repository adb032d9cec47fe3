// A syntax check of what the editor just wrote, with the parser at hand for the
// file's kind: TypeScript's for JavaScript and TypeScript (when the typescript
// package is installed: it is a dev dependency, absent from an image built with
// --omit=dev), JSON.parse, the yaml package, and Python's own compiler run in the
// sandbox (syntax-python.ts). Only errors the edit introduced are reported (the
// file's errors before the edit, by message, are left out), and the edit stays
// made: a change often passes through a broken state between two edits, and a
// parser that does not know the project's dialect must not trap the model.
import { basename, extname } from "node:path";
import type ts from "typescript";
import { parseAllDocuments } from "yaml";

export interface ParseError {
  line: number;
  column: number;
  message: string;
}

/** Parses texts of one kind: each text's errors, or null when no parser is at hand. */
export type Parser = (texts: string[], path: string) => Promise<ParseError[][] | null>;

export interface SyntaxChecker {
  /** What is appended to the edit's result: the errors the edit introduced, or "" for none. */
  check(path: string, before: string | null, after: string): Promise<string>;
}

/** Longer files are not checked (a parse of a huge generated file is not worth its time). */
const MAX_CHECKED_CHARS = 2_000_000;
const MAX_LISTED = 5;

interface Kind {
  name: string;
  parse: Parser;
}

export function createSyntaxChecker(python: Parser | null): SyntaxChecker {
  return {
    async check(path, before, after) {
      const kind = kindOf(path, python);
      if (kind === null || after.length > MAX_CHECKED_CHARS) return "";
      // A Flow-typed file is JavaScript that TypeScript's parser reads as wrong.
      if (kind.parse === parseScripts && /@flow\b/.test(after.slice(0, 2_000))) return "";
      const [now] = (await kind.parse([after], path)) ?? [[]];
      if (now === undefined || now.length === 0) return "";
      const [then] =
        before === null || before.length > MAX_CHECKED_CHARS
          ? [[]]
          : ((await kind.parse([before], path)) ?? [[]]);
      const introduced = newErrors(then ?? [], now);
      if (introduced.length === 0) return "";
      const listed = introduced
        .slice(0, MAX_LISTED)
        .map((e) => `  line ${e.line}, column ${e.column}: ${e.message}`);
      if (introduced.length > MAX_LISTED) {
        listed.push(`  and ${introduced.length - MAX_LISTED} more`);
      }
      return `\n\nA syntax check of the result (${kind.name}) found errors this edit introduced:\n${listed.join("\n")}\nThe edit was made; if these are mistakes, correct them with another edit.`;
    },
  };
}

/** The errors of `now` that `then` did not have, by message (lines move with an edit). */
function newErrors(then: ParseError[], now: ParseError[]): ParseError[] {
  const seen = new Map<string, number>();
  for (const e of then) seen.set(e.message, (seen.get(e.message) ?? 0) + 1);
  return now.filter((e) => {
    const left = seen.get(e.message) ?? 0;
    if (left === 0) return true;
    seen.set(e.message, left - 1);
    return false;
  });
}

const SCRIPT = /^\.(?:[cm]?[jt]sx?)$/;
/** JSON files that tools read with comments and trailing commas (JSONC), not as JSON. */
const JSONC = /^(?:[tj]sconfig(?:\..*)?\.json|\.devcontainer\.json|devcontainer\.json)$/;

function kindOf(path: string, python: Parser | null): Kind | null {
  const ext = extname(path).toLowerCase();
  if (SCRIPT.test(ext)) return { name: "TypeScript's parser", parse: parseScripts };
  if (ext === ".json") {
    return JSONC.test(basename(path)) || path.includes("/.vscode/")
      ? null
      : { name: "JSON.parse", parse: parseJson };
  }
  if (ext === ".yaml" || ext === ".yml") return { name: "the yaml package", parse: parseYaml };
  if ((ext === ".py" || ext === ".pyi") && python !== null) {
    return { name: "Python's compile(), in the sandbox", parse: python };
  }
  return null;
}

let typescript: Promise<typeof ts | null> | undefined;

/** The typescript package, when it is installed (a dev dependency); null when it is not. */
function loadTypescript(): Promise<typeof ts | null> {
  typescript ??= import("typescript").then(
    (module) => module.default,
    () => null,
  );
  return typescript;
}

const parseScripts: Parser = async (texts, path) => {
  const compiler = await loadTypescript();
  if (compiler === null) return null;
  return texts.map((text) => {
    const result = compiler.transpileModule(text, {
      fileName: basename(path),
      reportDiagnostics: true,
      compilerOptions: { jsx: compiler.JsxEmit.Preserve },
    });
    return (result.diagnostics ?? []).map((d) => {
      const at =
        d.file && d.start !== undefined
          ? d.file.getLineAndCharacterOfPosition(d.start)
          : { line: 0, character: -1 };
      return {
        line: at.line + 1,
        column: at.character + 1,
        message: compiler.flattenDiagnosticMessageText(d.messageText, " "),
      };
    });
  });
};

const parseJson: Parser = (texts) =>
  Promise.resolve(
    texts.map((text) => {
      try {
        JSON.parse(text);
        return [];
      } catch (error) {
        const message = (error as Error).message;
        const at = /at position (\d+)/.exec(message);
        const { line, column } = positionOf(text, at ? Number(at[1]) : 0);
        return [{ line, column, message: message.replace(/ in JSON at position \d+.*$/, "") }];
      }
    }),
  );

const parseYaml: Parser = (texts) =>
  Promise.resolve(
    texts.map((text) => {
      const documents = parseAllDocuments(text);
      const all = Array.isArray(documents) ? documents : [];
      return all.flatMap((document) =>
        document.errors.map((e) => ({
          line: e.linePos?.[0].line ?? 0,
          column: e.linePos?.[0].col ?? 0,
          message: (e.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, ""),
        })),
      );
    }),
  );

function positionOf(text: string, index: number): { line: number; column: number } {
  const before = text.slice(0, index);
  const line = before.split("\n").length;
  return { line, column: index - before.lastIndexOf("\n") };
}
