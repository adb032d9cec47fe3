// The package registries this machine's package managers are configured with, as host names for
// the egress allowlist: setup commands run `npm ci` or `pip install` against them. Each tool is
// asked for its own configuration (a mirror set in a config file is found as the tool finds it);
// a tool that is missing or fails adds nothing. These hosts are the operator's configuration,
// trusted as such (an internal mirror may have a local name), except that an address or
// `localhost` is never a registry the proxy lets through.
import { execFileSync } from "node:child_process";
import { isIP } from "node:net";

/** The host names of the package registries this machine's package managers are configured with, read once at start; each with where it was read from. */
export interface RegistryHost {
  host: string;
  /** Where it was read from: "npm config registry", "pip index-url (PIP_INDEX_URL)" … */
  source: string;
}

/** Runs a program and returns its output; null when it is missing or fails. */
type Run = (file: string, args: string[]) => string | null;

const TIMEOUT_MS = 5_000;

/**
 * Asks npm, yarn and pip (each only where it is installed) for their registries, and reads the
 * variables that set them. `run` stands in for running a program (its output, or null when it is
 * missing or fails); by default each runs with PATH and HOME only, for at most 5 seconds.
 */
export function registryHosts(
  opts: { env?: NodeJS.ProcessEnv; run?: (file: string, args: string[]) => string | null } = {},
): RegistryHost[] {
  const env = opts.env ?? process.env;
  const given = opts.run ?? runner(env);
  const run = (file: string, args: string[]): string | null => {
    try {
      return given(file, args);
    } catch {
      return null;
    }
  };
  const found = new Map<string, string>();
  const add = (urls: string | undefined, source: string) => {
    for (const url of splitUrls(urls)) {
      const host = hostOf(url);
      if (host !== null && !found.has(host)) found.set(host, source);
    }
  };
  npm(env, run, add);
  yarn(env, run, add);
  pip(env, run, add);
  return [...found]
    .map(([host, source]) => ({ host, source }))
    .sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
}

type Add = (urls: string | undefined, source: string) => void;

function npm(env: NodeJS.ProcessEnv, run: Run, add: Add): void {
  for (const name of ["npm_config_registry", "NPM_CONFIG_REGISTRY"]) {
    add(env[name], `npm registry (${name})`);
  }
  const registry = run("npm", ["config", "get", "registry"]);
  if (registry === null) return; // no npm
  add(registry, "npm config registry");
  // Scoped registries (`@scope:registry`), which `config get` does not list.
  for (const [key, value] of Object.entries(parseJson(run("npm", ["config", "list", "--json"])))) {
    if (key.endsWith(":registry") && typeof value === "string") add(value, `npm config ${key}`);
  }
}

function yarn(env: NodeJS.ProcessEnv, run: Run, add: Add): void {
  add(env.YARN_NPM_REGISTRY_SERVER, "yarn npmRegistryServer (YARN_NPM_REGISTRY_SERVER)");
  const server = run("yarn", ["config", "get", "npmRegistryServer"]);
  if (server === null) return; // no yarn
  add(server, "yarn config npmRegistryServer");
  // Yarn 1 has no npmRegistryServer (it prints `undefined`): its registry is `registry`.
  if (splitUrls(server).every((url) => hostOf(url) === null)) {
    add(run("yarn", ["config", "get", "registry"]) ?? undefined, "yarn config registry");
  }
}

function pip(env: NodeJS.ProcessEnv, run: Run, add: Add): void {
  add(env.PIP_INDEX_URL, "pip index-url (PIP_INDEX_URL)");
  add(env.PIP_EXTRA_INDEX_URL, "pip extra-index-url (PIP_EXTRA_INDEX_URL)");
  const listed = run("pip3", ["config", "list"]) ?? run("python3", ["-m", "pip", "config", "list"]);
  if (listed === null) return; // no pip
  let index = hasValue(env.PIP_INDEX_URL) || truthy(env.PIP_NO_INDEX);
  // `global.index-url='https://…'`, the value as Python writes a string.
  for (const line of listed.split("\n")) {
    const match = /^([^=\s]+)\.(index-url|extra-index-url|no-index)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, section, key, raw] = match as unknown as [string, string, string, string];
    const value = unquote(raw);
    if (key === "no-index") {
      index ||= truthy(value);
      continue;
    }
    if (key === "index-url") index = true;
    add(value, `pip config ${section}.${key}`);
  }
  if (index) return;
  // No index configured: pip uses its own default index (extra indexes only add to it). Asked of
  // pip itself, so the names are pip's, not ours.
  const defaults = run("python3", [
    "-c",
    "from pip._internal.models.index import PyPI; print(PyPI.simple_url); print(PyPI.file_storage_domain)",
  ]);
  const [simpleUrl, fileHost] = (defaults ?? "").split("\n").map((l) => l.trim());
  add(simpleUrl, "pip's default index");
  if (fileHost) add(`https://${fileHost}/`, "pip's default file host");
}

/** The program's standard output, or null when it is missing, fails or takes too long. */
function runner(env: NodeJS.ProcessEnv): Run {
  // Nothing of the app's environment but where programs and the user's config are: no secrets.
  const clean: Record<string, string> = {};
  for (const name of ["PATH", "HOME"]) {
    const value = env[name];
    if (value !== undefined) clean[name] = value;
  }
  return (file, args) => {
    try {
      return execFileSync(file, args, {
        encoding: "utf8",
        env: clean,
        // Not the app's checkout: a project's own config there is not the machine's.
        cwd: "/",
        timeout: TIMEOUT_MS,
        stdio: ["ignore", "pipe", "ignore"],
        windowsHide: true,
      });
    } catch {
      return null;
    }
  };
}

/** URLs separated by white space (pip's extra indexes), as Python's repr writes a newline too. */
function splitUrls(text: string | undefined): string[] {
  if (text === undefined) return [];
  return text
    .replace(/\\n/g, " ")
    .split(/\s+/)
    .filter((u) => u !== "");
}

/** The URL's host name, lowercased; null for no URL, no host, an address or `localhost`. */
function hostOf(url: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname.toLowerCase().replace(/\.$/, "");
  } catch {
    return null;
  }
  if (host === "" || host.startsWith("[") || isIP(host) !== 0) return null;
  if (host === "localhost" || host.endsWith(".localhost")) return null;
  // Only what can be a DNS name (a non-http URL's host may be anything).
  const labels = host.split(".");
  const valid = labels.every((l) => /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/.test(l));
  return valid && host.length <= 253 ? host : null;
}

function parseJson(text: string | null): Record<string, unknown> {
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A value as Python's repr writes it: in single or double quotes. */
function unquote(value: string): string {
  const quoted = /^(['"])(.*)\1$/.exec(value.trim());
  return quoted ? (quoted[2] ?? "") : value.trim();
}

function hasValue(value: string | undefined): boolean {
  return value !== undefined && value.trim() !== "";
}

function truthy(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value.trim());
}
