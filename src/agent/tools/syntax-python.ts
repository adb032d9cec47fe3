// Python's own compiler, as the editor's syntax check of a .py file: run in the
// sandbox (bubblewrap only: never on the host), isolated (-I: no site-packages of
// the worktree, no PYTHON* variables) and writing no bytecode (-B). compile()
// parses and compiles; nothing of the file runs. The texts go through files in the
// run's output folder, which the sandbox sees read-only.
import { randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Sandbox } from "../../sandbox/sandbox.ts";
import type { ParseError, Parser } from "./syntax-check.ts";

export interface PythonCheckOptions {
  sandbox: Sandbox;
  env: Record<string, string>;
  outputDir: string;
  group?: string;
}

const TIMEOUT_MS = 15_000;

// One JSON line: for each file, its errors as [line, column, message]. No single quote in it,
// so that it goes in the shell command between single quotes.
const SCRIPT = [
  "import json, sys",
  "out = []",
  "for p in sys.argv[1:]:",
  "    try:",
  '        compile(open(p, "rb").read(), p, "exec", dont_inherit=True)',
  "        out.append([])",
  "    except SyntaxError as e:",
  "        out.append([[e.lineno or 0, e.offset or 0, e.msg]])",
  "    except ValueError as e:",
  "        out.append([[0, 0, str(e)]])",
  "print(json.dumps(out))",
].join("\n");

/** The Python parser, or null where there is no bubblewrap sandbox to run it in. */
export function pythonParser(options: PythonCheckOptions): Parser | null {
  if (options.sandbox.kind !== "bubblewrap") return null;
  return async (texts) => {
    const dir = join(options.outputDir, `syntax-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    try {
      const files = texts.map((_, i) => `${i}.py`);
      await Promise.all(files.map((file, i) => writeFile(join(dir, file), texts[i] ?? "")));
      const result = await options.sandbox.run({
        command: `python3 -I -B -c '${SCRIPT}' ${files.join(" ")}`,
        cwd: dir,
        timeoutMs: TIMEOUT_MS,
        network: false,
        env: options.env,
        outputDir: options.outputDir,
        ...(options.group === undefined ? {} : { group: options.group }),
      });
      // No python3 in the sandbox, or anything else amiss: no check, rather than a false one.
      if (result.exitCode !== 0) return null;
      return parsed(result.output.trim().split("\n").at(-1) ?? "", texts.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

function parsed(line: string, count: number): ParseError[][] | null {
  try {
    const value = JSON.parse(line) as unknown;
    if (!Array.isArray(value) || value.length !== count) return null;
    return value.map((errors: Array<[number, number, string]>) =>
      errors.map(([lineNo, column, message]) => ({ line: lineNo, column, message })),
    );
  } catch {
    return null;
  }
}
