// The repository config as a trigger reads it: `.github/stamina.yml` from the default branch
// through Probot (org defaults and `_extends` merged), checked by the schema, and every problem
// put in words a maintainer can act on: which file, which key or which line and column.
import type { Context } from "probot";
import { CONFIG_PATH, ConfigError, parseRepoConfig, type RepoConfig } from "../policy/config.ts";

export type LoadedConfig =
  { ok: true; config: RepoConfig } | { ok: false; label: string; problems: string[] };

const DEFAULT_LABEL = "stamina";
const PLUGIN_PREFIX = "[@probot/octokit-plugin-config] ";

/**
 * Mappings merge key by key at every depth (deepmerge, as Probot does); lists replace, so a
 * repository's `setup` is its own and not the org's with more appended.
 */
const MERGE = { arrayMerge: (_base: unknown[], override: unknown[]) => override };

export async function loadRepoConfig(
  context: Pick<Context, "config" | "payload">,
): Promise<LoadedConfig> {
  let raw: unknown;
  try {
    raw = await context.config("stamina.yml", undefined, MERGE);
  } catch (error) {
    const problem = describeLoadError(error, context.payload);
    if (problem === undefined) throw error;
    return { ok: false, label: DEFAULT_LABEL, problems: [problem] };
  }
  try {
    return { ok: true, config: parseRepoConfig(raw) };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const label = isRecord(raw) && typeof raw.label === "string" ? raw.label.trim() : DEFAULT_LABEL;
    return { ok: false, label, problems: error.problems };
  }
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
