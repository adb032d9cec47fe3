// `stamina config check [FILE]`: a repository's `.github/stamina.yml` checked offline, by the
// schema a trigger checks it with, before it is pushed. Every problem is a line an editor or a
// CI problem matcher can jump to (`FILE:LINE:COL: key: problem`); a valid file gets the settings
// that matter most. Nothing is read from GitHub, so the file an `_extends` names is not checked,
// and the output says so.
import { createReadStream } from "node:fs";
import { resolve } from "node:path";
import type { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { checkConfigText, type ExtendsTarget } from "../policy/config-file.ts";
import { CONFIG_PATH, type RepoConfig } from "../policy/config.ts";
import type { Out } from "./console.ts";

/** Far above any real config (the longest key, `instructions`, takes 64,000 characters). */
const MAX_CONFIG_MIB = 1;
const MAX_CONFIG_BYTES = MAX_CONFIG_MIB * 1024 * 1024;

export const CONFIG_USAGE = `usage: stamina config check [FILE]

  Checks a repository config offline, with the schema Stamina checks it with when a run
  starts, and prints every problem as FILE:LINE:COLUMN: key: problem (a valid file: "ok" and
  its label, model and budget).

  FILE   the file to check (default: ${CONFIG_PATH} in the current folder);
         - reads standard input

  _extends names a file of another repository, which Stamina reads from GitHub when a run starts:
  config check reads nothing from GitHub, so it checks the file's own keys and says what it left
  unread.

  Exits 0 when the file is valid, 1 when it is not, 2 when it cannot be read (missing, a folder,
  larger than ${MAX_CONFIG_MIB} MiB) or the command line is wrong.
`;

interface ConfigIo {
  out: Out;
  err: Out;
  stdin: Readable;
  cwd: string;
}

export async function configCommand(args: string[], io: ConfigIo): Promise<number> {
  const usage = (problem: string) => {
    io.err.write(`stamina config: ${problem}\n\n${CONFIG_USAGE}`);
    return 2;
  };
  let positionals: string[];
  try {
    ({ positionals } = parseArgs({ args, options: {}, allowPositionals: true, strict: true }));
  } catch (error) {
    return usage((error as Error).message);
  }
  const [sub, file, ...extra] = positionals;
  if (sub !== "check") return usage("say check (`stamina config check [FILE]`).");
  if (extra.length > 0) return usage(`check takes one file, not ${positionals.length - 1}.`);
  const name = file === "-" ? "<stdin>" : (file ?? CONFIG_PATH);
  const read = await readConfig(file, io);
  if (!read.ok) {
    io.err.write(`stamina config: ${read.problem}\n`);
    return 2;
  }
  const checked = checkConfigText(read.text);
  const lines: string[] = [];
  if (checked.ok) {
    lines.push(
      checked.extends === undefined
        ? `${name}: ok`
        : `${name}: ok in its own keys; its _extends was not read (below)`,
    );
    lines.push(...summary(checked.config, checked.raw));
  } else {
    for (const p of checked.problems) {
      lines.push(`${name}:${p.line}:${p.col}: ${p.key === "" ? "" : `${p.key}: `}${p.message}`);
    }
    const count = checked.problems.length;
    lines.push(`${name}: not valid, ${count === 1 ? "one problem" : `${count} problems`}.`);
  }
  if (checked.extends !== undefined) lines.push(notRead(checked.extends, checked.ok));
  io.out.write(`${lines.join("\n")}\n`);
  return checked.ok ? 0 : 1;
}

type Read = { ok: true; text: string } | { ok: false; problem: string };

async function readConfig(file: string | undefined, io: ConfigIo): Promise<Read> {
  if (file === "-") return readCapped(io.stdin, "standard input");
  const path = resolve(io.cwd, file ?? CONFIG_PATH);
  try {
    return await readCapped(createReadStream(path), path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && file === undefined) {
      return {
        ok: false,
        problem: `${path} does not exist. Run config check in the repository's top folder, or name the file. (A repository without ${CONFIG_PATH} takes its owner's .github repository's, which config check cannot read offline.)`,
      };
    }
    if (code === "ENOENT") return { ok: false, problem: `${path} does not exist.` };
    if (code === "EISDIR") return { ok: false, problem: `${path} is a folder, not a file.` };
    if (code === "EACCES")
      return { ok: false, problem: `${path} cannot be read (permission denied).` };
    throw error;
  }
}

/** The text, or a refusal once it passes MAX_CONFIG_BYTES (a FIFO or /dev/zero ends there too). */
async function readCapped(stream: Readable, what: string): Promise<Read> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += bytes.length;
    if (size > MAX_CONFIG_BYTES) {
      stream.destroy();
      return {
        ok: false,
        problem: `${what} is larger than ${MAX_CONFIG_MIB} MiB, which no repository config is: is it the right file?`,
      };
    }
    chunks.push(bytes);
  }
  return { ok: true, text: Buffer.concat(chunks).toString("utf8") };
}

/** The settings that decide the most about a run, each marked where the file leaves it to the default. */
function summary(config: RepoConfig, raw: Record<string, unknown>): string[] {
  const budget = (raw.budget ?? {}) as Record<string, unknown>;
  const own = (set: Record<string, unknown>, key: string, text: string) =>
    Object.hasOwn(set, key) ? text : `${text} (default)`;
  const { steps, tokens, dollars, minutes } = config.budget;
  return [
    `  label: ${own(raw, "label", config.label)}`,
    `  model: ${own(raw, "model", config.model)}`,
    `  budget: ${[
      own(budget, "steps", `${steps.toLocaleString("en-US")} steps`),
      own(budget, "tokens", `${tokens.toLocaleString("en-US")} tokens`),
      own(budget, "dollars", `$${dollars.toFixed(2)}`),
      own(budget, "minutes", `${minutes.toLocaleString("en-US")} minutes`),
    ].join(", ")}`,
  ];
}

function notRead(target: ExtendsTarget, ok: boolean): string {
  const file = target.path ?? CONFIG_PATH;
  const repository =
    target.owner === undefined
      ? `the repository ${target.repo} of the same owner`
      : `${target.owner}/${target.repo}`;
  const named = /\.ya?ml$/i.test(target.repo)
    ? ` (\`${target.repo}\` is read as a repository's name: a file is \`repo:path.yml\`)`
    : "";
  const said = `Not checked: \`_extends: ${target.value}\` (line ${target.line}) names ${file} of ${repository}${named}; config check works offline and did not read it, so the keys it would add were not checked`;
  return ok
    ? `${said}. The settings above are this file's and the defaults; that file may set the ones this file leaves out.`
    : `${said}.`;
}
