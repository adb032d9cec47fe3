// The first start: with no APP_ID, `all` and `serve` open Probot's setup page, which registers
// the app on GitHub from app.yml and hands back its credentials. Probot's page runs here with two
// things of Stamina's: it listens where HOST and PORT say, as the server will (Probot alone takes
// localhost for an unset or empty HOST), and what it registers is written by writeEnvSettings
// into the settings file the services read (STAMINA_ENV_FILE, else ./.env), keeping the rest of
// it. Probot's own writer rewrites .env from its parsed values, dropping every comment and blank
// line, and leaves no final newline for the next `>> .env` to join.
import { run } from "probot";
import { createLogger, type Logger } from "../observability/logger.ts";
import { createRedactor, type Redactor } from "../observability/redact.ts";
import { SettingsError, type Settings } from "../settings.ts";
import { writeEnvSettings } from "./env-file.ts";
import { serviceEnvFile } from "./entry.ts";

/** What the page writes that no log line may show (APP_ID and the client id are not secret). */
const SECRETS = ["PRIVATE_KEY", "WEBHOOK_SECRET", "GITHUB_CLIENT_SECRET"];

export interface SetupOptions {
  host: string;
  port: number;
  /** The settings file the registered app's settings go into. */
  envFile: string;
  log: Logger;
  /** Learns each secret the page writes, so no log line shows it. */
  redactor?: Redactor;
  /** Told the names of the settings once they are written. */
  onWritten?: (keys: string[]) => void;
}

export interface SetupPage {
  /** Where the page listens: the address (IPv6 in brackets) and the port. */
  host: string;
  port: number;
  stop(): Promise<void>;
}

/** `all` and `serve` without APP_ID: the setup page, until SIGINT or SIGTERM; then 0. */
export async function setupMode(settings: Settings): Promise<number> {
  const redactor = createRedactor();
  const log = createLogger({ level: settings.logLevel, redactor });
  const page = await startSetupPage({
    host: settings.host,
    port: settings.port,
    envFile: serviceEnvFile(),
    log,
    redactor,
  });
  return new Promise((resolve) => {
    const stop = () => void page.stop().then(() => resolve(0));
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  });
}

export async function startSetupPage(options: SetupOptions): Promise<SetupPage> {
  const { log, envFile } = options;
  if (process.env.NODE_ENV === "production") {
    throw new SettingsError(
      "APP_ID is not set, and Probot's setup page does not open with NODE_ENV=production: set APP_ID, PRIVATE_KEY and WEBHOOK_SECRET (see .env.example), or make the first start without NODE_ENV=production",
    );
  }
  // Probot would otherwise make a smee.io channel on its own and register the app on it.
  process.env.NO_SMEE_SETUP ??= "true";
  const updateEnv = (values: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
    const written = settingsOf(values);
    for (const key of SECRETS) if (written[key]) options.redactor?.addSecret(written[key]);
    const keys = Object.keys(written);
    try {
      writeEnvSettings(envFile, written);
    } catch (error) {
      throw new Error(
        `the app is registered on GitHub, but its settings could not be written into ${envFile} (${String((error as NodeJS.ErrnoException).code ?? error)}): make the file writable, then on the app's settings page on GitHub generate a private key and set a webhook secret, and put APP_ID, PRIVATE_KEY and WEBHOOK_SECRET into it yourself`,
        { cause: error },
      );
    }
    log.info(
      { file: envFile, settings: keys },
      `setup wrote ${keys.join(", ")} into ${envFile} and kept the rest of it: restart Stamina (npm start, or stamina all | serve) to serve webhooks`,
    );
    options.onWritten?.(keys);
    return values;
  };
  const server = await keepingEnvironment(() =>
    run(() => undefined, {
      env: { ...process.env, HOST: options.host, PORT: String(options.port) },
      log,
      updateEnv,
    }),
  );
  const shown = ["0.0.0.0", "[::]"].includes(server.host) ? "localhost" : server.host;
  log.info(
    { host: server.host, port: server.port, file: envFile },
    `APP_ID is not set: open http://${shown}:${server.port} to register Stamina on GitHub; the page writes the app's settings into ${envFile} and keeps everything else in it`,
  );
  return { host: server.host, port: server.port, stop: () => server.stop() };
}

/**
 * The values Probot hands its writer, as settings: each a string, and the key without the
 * quotes Probot wraps it in for its own writer (ours quotes what needs it).
 */
function settingsOf(values: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => {
      // The import form hands on what the browser sent: an id may come as a number.
      const text = String(value ?? "");
      const quoted = key === "PRIVATE_KEY" && /^"[^"]*"$/.test(text);
      return [key, quoted ? text.slice(1, -1) : text];
    }),
  );
}

/**
 * Probot's run() loads ./.env over the environment first; the settings were read already, from
 * the file the operator named (STAMINA_ENV_FILE), and stay what they were.
 */
async function keepingEnvironment<T>(start: () => Promise<T>): Promise<T> {
  const kept = { ...process.env };
  try {
    return await start();
  } finally {
    for (const key of Object.keys(process.env)) {
      if (!Object.hasOwn(kept, key)) delete process.env[key];
    }
    Object.assign(process.env, kept);
  }
}
