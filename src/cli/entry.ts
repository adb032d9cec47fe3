// What the `stamina` command settles before any command runs: the usage of
// each command (printed for -h or --help, which start nothing) and the
// settings file it reads. The services and the admin commands (doctor too) read
// STAMINA_ENV_FILE, else `.env` where they are started; `run` and `replay`
// work on someone's checkout, whose `.env` is that repository's own and may
// hold anything, so they read STAMINA_ENV_FILE, else Stamina's own `.env`.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SettingsError } from "../settings.ts";
import { AUDIT_USAGE } from "./audit.ts";
import { DB_USAGE } from "./db.ts";
import { CONFIG_USAGE } from "./config.ts";
import { DOCTOR_USAGE } from "./doctor.ts";
import { MEMORY_USAGE } from "./memory.ts";
import { REPLAY_USAGE } from "./replay/command.ts";
import { RUN_USAGE } from "./run.ts";

export const USAGE = `usage: stamina <command> [-h | --help]

  all                 webhooks and a worker in one process (what \`npm start\` runs)
  serve               the webhook server only
  worker              a worker only (shares the database with \`serve\`)
  doctor              the start-up checks alone: GitHub App, webhook secret, database,
                      sandbox, model; each failure names the setting to fix
  run --repo PATH --task TEXT | --task-file FILE [--model ID] [--budget-steps N]
      [--budget-dollars AMOUNT] [--audit-log FILE]
                      the agent on a local checkout, without GitHub
  replay LOG [--repo PATH]   re-run a recorded session with its recorded model turns
  audit verify FILE [--head HASH] [--key PUBLIC]
                      check an audit log's hash chain and, with --key, its signatures
  audit key [--generate FILE]   print the audit key's public half (or make a new key)
  audit export RUN_ID [FILE]   write a run's audit log as JSONL (stdout without FILE)
  memory show|clear --repo OWNER/NAME | --checkout PATH
                      read or wipe what a repository's runs remember across runs
  db copy --to URL    copy Stamina's database into another, empty one (SQLite to PostgreSQL),
                      then check every table and audit chain
  db backup FILE      a consistent copy of the SQLite database while Stamina runs (PostgreSQL:
                      the pg_dump command to use)
  config check [FILE]   check a repository's .github/stamina.yml offline, every problem by
                      line and column

  Settings come from the environment, then from the file STAMINA_ENV_FILE names, else from
  .env (where the command is started; for run and replay, Stamina's own). Every setting is
  listed, with its default, in .env.example.
`;

const SERVICE_USAGE = `usage: stamina all | serve | worker

  all      webhooks and a worker in one process (what \`npm start\` runs)
  serve    the webhook server only: checks, stores and acknowledges deliveries, queues runs
  worker   a worker only: claims queued runs and works on them (shares the database with
           serve)

  They take no arguments: settings come from the environment, then from the file
  STAMINA_ENV_FILE names, else from .env in the folder they are started in. Without APP_ID,
  all and serve open GitHub's app registration page on HOST and PORT (default 0.0.0.0:3000),
  which writes the app's settings into that file and keeps the rest of it.
`;

const USAGES: Record<string, string> = {
  all: SERVICE_USAGE,
  serve: SERVICE_USAGE,
  worker: SERVICE_USAGE,
  run: RUN_USAGE,
  replay: REPLAY_USAGE,
  audit: AUDIT_USAGE,
  db: DB_USAGE,
  doctor: DOCTOR_USAGE,
  memory: MEMORY_USAGE,
  config: CONFIG_USAGE,
};

/** The usage to print when `args` ask for help (-h or --help anywhere), else undefined. */
export function helpFor(command: string, args: readonly string[]): string | undefined {
  if (["help", "-h", "--help"].includes(command)) return USAGE;
  if (!args.includes("-h") && !args.includes("--help")) return undefined;
  return USAGES[command];
}

/** Stamina's own folder (where its package.json is), whatever folder the command runs in. */
const OWN_FOLDER = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * The settings file of the services (`all`, `serve`, `worker`) and of the admin commands, which
 * the setup page writes too: the one STAMINA_ENV_FILE names, else `.env` in `cwd`.
 */
export function serviceEnvFile(cwd = process.cwd()): string {
  const named = process.env.STAMINA_ENV_FILE;
  return named !== undefined && named !== "" ? resolve(cwd, named) : join(cwd, ".env");
}

/**
 * Loads the settings file for `command` into `env` (a variable set already wins) and returns
 * its path, or null when there is none to read. A STAMINA_ENV_FILE that names no file is an
 * error: the operator meant one.
 */
export function loadEnvFile(command: string, cwd = process.cwd()): string | null {
  const named = process.env.STAMINA_ENV_FILE;
  if (named !== undefined && named !== "") {
    const path = resolve(cwd, named);
    if (!existsSync(path)) {
      throw new SettingsError(
        `STAMINA_ENV_FILE names ${path}, which does not exist. Point it at your settings file, or unset it to read .env.`,
      );
    }
    process.loadEnvFile(path);
    return path;
  }
  const local = command === "run" || command === "replay";
  const path = join(local ? OWN_FOLDER : cwd, ".env");
  if (!existsSync(path)) return null;
  process.loadEnvFile(path);
  return path;
}
