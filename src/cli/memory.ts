// `stamina memory show|clear --repo OWNER/NAME`: what a repository's runs
// remember, for an admin to read or wipe (a note that proved wrong, a
// repository that changed owners). `--checkout PATH` reaches the memory of
// `stamina run` on a local checkout instead, kept beside the local runs.
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { createRedactor } from "../observability/redact.ts";
import { openStore } from "../store/open.ts";
import type { Store } from "../store/store.ts";
import { readSettings, type Settings } from "../settings.ts";
import { runGit } from "../workspace/git.ts";
import type { Out } from "./console.ts";

export const MEMORY_USAGE = `usage: stamina memory show|clear --repo OWNER/NAME
       stamina memory show|clear --checkout PATH

  show   prints every file of the repository's memory (/memories), with when and by which run it was written
  clear  deletes the repository's memory; its next run starts with none
  --repo OWNER/NAME   a repository's memory in Stamina's database (DATABASE_URL, else SQLite under STAMINA_DATA_DIR)
  --checkout PATH     the memory \`stamina run\` keeps for a local checkout
`;

const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/** The memory of `stamina run`: SQLite beside the local runs, one memory per checkout folder. */
export function localMemoryDatabase(settings: Pick<Settings, "dataDir">): string {
  return join(settings.dataDir, "local", "memory.db");
}

export function localMemoryKey(checkout: string): string {
  return `local:${resolve(checkout)}`;
}

export async function memoryCommand(
  args: string[],
  io: { out: Out; err: Out; env: NodeJS.ProcessEnv },
): Promise<number> {
  const usage = (problem: string) => {
    io.err.write(`stamina memory: ${problem}\n\n${MEMORY_USAGE}`);
    return 2;
  };
  const [sub, ...rest] = args;
  if (sub !== "show" && sub !== "clear") return usage("say show or clear.");
  let values: { repo?: string; checkout?: string };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { repo: { type: "string" }, checkout: { type: "string" } },
      strict: true,
    }));
  } catch (error) {
    return usage((error as Error).message);
  }
  if ((values.repo === undefined) === (values.checkout === undefined)) {
    return usage("give --repo OWNER/NAME or --checkout PATH (one of them).");
  }
  if (values.repo !== undefined && !REPOSITORY.test(values.repo)) {
    return usage(`${JSON.stringify(values.repo)} is not a repository's OWNER/NAME.`);
  }
  const settings = readSettings(io.env);
  const store = await openStore({
    ...(values.checkout === undefined
      ? { database: settings.database }
      : { sqlitePath: localMemoryDatabase(settings) }),
    redactor: createRedactor(),
  });
  // The checkout's top folder, as `stamina run` names it, whichever folder of it was given.
  const checkout = values.checkout === undefined ? undefined : await topFolder(values.checkout);
  const key = values.repo ?? localMemoryKey(checkout!);
  const name = values.repo ?? checkout!;
  try {
    return sub === "show"
      ? await show(store, key, name, io.out)
      : await clear(store, key, name, io.out);
  } finally {
    await store.close();
  }
}

async function topFolder(path: string): Promise<string> {
  try {
    return (await runGit(["rev-parse", "--show-toplevel"], { cwd: path })).stdout.trim();
  } catch {
    return resolve(path);
  }
}

async function show(store: Store, key: string, name: string, out: Out): Promise<number> {
  const files = await store.memory.described(key);
  if (files.length === 0) {
    out.write(`${name} has no memory: no run has written a note yet (or it was cleared).\n`);
    return 0;
  }
  const total = files.reduce((n, f) => n + Buffer.byteLength(f.content, "utf8"), 0);
  const lines = [
    `The memory of ${name}: ${files.length} file${files.length === 1 ? "" : "s"}, ${total.toLocaleString("en-US")} bytes.`,
  ];
  for (const file of files) {
    lines.push(
      "",
      `== ${file.path} (written ${file.updatedAt}${file.updatedBy === null ? "" : ` by run ${file.updatedBy}`})`,
      file.content,
    );
  }
  out.write(`${lines.join("\n")}\n`);
  return 0;
}

async function clear(store: Store, key: string, name: string, out: Out): Promise<number> {
  const deleted = await store.memory.clear(key);
  out.write(
    deleted === 0
      ? `${name} had no memory; nothing to clear.\n`
      : `Cleared the memory of ${name}: ${deleted} file${deleted === 1 ? "" : "s"} deleted. Its next run starts with none.\n`,
  );
  return 0;
}
