// The repository config as a trigger reads it: `.github/stamina.yml` from the default branch
// through Probot (org defaults and `_extends` merged), checked by the schema, and every problem
// put in words a maintainer can act on: which file, which key or which line and column.
import type { Context } from "probot";
import { CONFIG_PATH, ConfigError, parseRepoConfig, type RepoConfig } from "../policy/config.ts";

export type LoadedConfig =
  { ok: true; config: RepoConfig } | { ok: false; label: string; problems: string[] };

const DEFAULT_LABEL = "stamina";

interface ConfigFile {
  owner: string;
  repo: string;
  path: string;
  config: Record<string, unknown> | null;
}

const PLUGIN_PREFIX = "[@probot/octokit-plugin-config] ";

export async function loadRepoConfig(
  context: Pick<Context, "octokit" | "payload" | "repo">,
): Promise<LoadedConfig> {
  let raw: unknown;
  try {
    // Probot's loader (what `context.config` calls): the repository's file, else its owner's
    // `.github` repository's, then each `_extends`, all from default branches.
    const { config, files } = await context.octokit.config.get({
      ...context.repo(),
      path: CONFIG_PATH,
      defaults: (configs) => mergeConfigs(configs),
    });
    const missing = missingExtends(files);
    if (missing.length > 0) {
      return { ok: false, label: labelOf(config), problems: missing.map(describeMissing) };
    }
    raw = config;
  } catch (error) {
    const problem = describeLoadError(error, context.payload);
    if (problem === undefined) throw error;
    return { ok: false, label: DEFAULT_LABEL, problems: [problem] };
  }
  try {
    return { ok: true, config: parseRepoConfig(raw) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return { ok: false, label: labelOf(raw), problems: error.problems };
  }
}

/**
 * Base first, the repository's own last. Mappings merge key by key at every depth (as Probot's
 * deep merge does); anything else, lists included, replaces: a repository's `setup` is its own,
 * not the org's with more appended.
 */
export function mergeConfigs(configs: Array<Record<string, unknown>>): Record<string, unknown> {
  const merge = (base: unknown, over: unknown): unknown => {
    if (!isRecord(base) || !isRecord(over)) return over;
    const keys = [...new Set([...Object.keys(base), ...Object.keys(over)])];
    // fromEntries defines own properties, so a key `__proto__` stays a key (and an unknown one).
    return Object.fromEntries(
      keys.map((k) => [k, Object.hasOwn(over, k) ? merge(base[k], over[k]) : base[k]]),
    );
  };
  return configs.reduce<Record<string, unknown>>(
    (merged, config) => merge(merged, config) as Record<string, unknown>,
    {},
  );
}

/** Files an `_extends` named that could not be read (the first file and the org fallback may be absent). */
function missingExtends(files: ConfigFile[]): ConfigFile[] {
  const [own, ...rest] = files;
  const fallback = own?.config === null && rest[0]?.repo === ".github" ? 1 : 0;
  return rest.slice(fallback).filter((f) => f.config === null);
}

function describeMissing(file: ConfigFile): string {
  return `\`_extends\` names \`${file.path}\` of ${file.owner}/${file.repo}, which Stamina cannot read: the repository or the file does not exist, or the app is not installed on it`;
}

function labelOf(raw: unknown): string {
  return isRecord(raw) && typeof raw.label === "string" ? raw.label.trim() : DEFAULT_LABEL;
}

export function configErrorComment(problems: string[]): string {
  const count = problems.length === 1 ? "one problem" : `${problems.length} problems`;
  return [
    `⚠️ Stamina did not start: \`${CONFIG_PATH}\` on the default branch is not valid (${count}).`,
    "",
    ...problems.map((p) => `- ${p}`),
    "",
    "Fix the file on the default branch, then add the label again. Every key is listed in Stamina's README, under “Config reference”.",
  ].join("\n");
}

/** A problem of the files themselves; undefined for anything else (GitHub down: retry later). */
function describeLoadError(error: unknown, payload: unknown): string | undefined {
  if (!(error instanceof Error) || !error.message.startsWith(PLUGIN_PREFIX)) return undefined;
  const message = error.message.slice(PLUGIN_PREFIX.length);
  const file = fileOf(message, payload);
  const cause = error.cause as { linePos?: Array<{ line: number; col: number }>; message?: string };
  const at = cause?.linePos?.[0];
  if (at !== undefined && typeof cause.message === "string") {
    const reason = (cause.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    return `${file} is not valid YAML: line ${at.line}, column ${at.col}: ${reason}`;
  }
  if (message.includes("YAML is not an object")) {
    return `${file} must be a YAML mapping of settings, such as \`label: stamina\``;
  }
  // `_extends` that does not parse or loops, a folder where the file should be: Probot's words,
  // with the API URL replaced by the file it means.
  return message.replace(/https?:\/\/\S+?\/repos\/[^\s"]+/g, (url) => fileOf(url, payload));
}

/** `.github/stamina.yml`, or `.github/stamina.yml` of `owner/repo` when another repository's. */
function fileOf(text: string, payload: unknown): string {
  const match = /\/repos\/([^/\s]+)\/([^/\s]+)\/contents\/([^\s?")]+)/.exec(text);
  if (!match) return `\`${CONFIG_PATH}\``;
  const [, owner, repo, path] = match as unknown as [string, string, string, string];
  const file = `\`${decodeURIComponent(path)}\``;
  const self = isRecord(payload) && isRecord(payload.repository) ? payload.repository : {};
  const selfOwner = isRecord(self.owner) ? String(self.owner.login) : "";
  const same =
    owner.toLowerCase() === selfOwner.toLowerCase() &&
    repo.toLowerCase() === String(self.name).toLowerCase();
  return same ? file : `${file} of ${owner}/${repo}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
