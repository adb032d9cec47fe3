// The environment every sandboxed command gets: built from an allowlist, never
// from the app's own environment, so no secret of the app reaches a command.
import { accessSync, constants } from "node:fs";
import { join } from "node:path";

/** A fixed system PATH: the app's PATH may point into places the sandbox does not show. */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The sandbox binds HOME and TMPDIR read-write, so the repository config must not move them.
const RESERVED = new Set(["HOME", "TMPDIR"]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function commandEnvironment(opts: {
  home: string;
  tmpdir: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: SYSTEM_PATH,
    HOME: opts.home,
    TMPDIR: opts.tmpdir,
    LANG: "C.UTF-8",
    CI: "true",
    // Output goes to the model, not a terminal: tools that honour these print no colour codes
    // (those that do not are cleaned up in output.ts). The repository config may override them.
    NO_COLOR: "1",
    FORCE_COLOR: "0",
  };
  for (const [name, value] of Object.entries(opts.extra ?? {})) {
    if (!NAME.test(name)) {
      throw new Error(
        `The repository config's env has an invalid variable name: ${JSON.stringify(name)}.`,
      );
    }
    if (value.includes("\0")) {
      throw new Error(`The repository config's env variable ${name} contains a NUL character.`);
    }
    if (!RESERVED.has(name)) env[name] = value;
  }
  return env;
}

/** A program looked up in the system PATH (the same bash inside and outside the sandbox); null when missing. */
export function findExecutable(name: string): string | null {
  for (const dir of SYSTEM_PATH.split(":")) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return null;
}
