// The start-up checks, and `stamina doctor` to run them alone: the GitHub App's key parses and
// authenticates, the webhook secret is set (and GitHub's latest delivery was not refused for
// it), the database answers and is migrated, the sandbox starts, and the model answers with
// the key. Each failure names the setting and what to do. The services run the checks their
// mode needs before they take any work (see `startChecks` in main.ts).
import { createSandbox, SandboxUnavailable } from "../sandbox/sandbox.ts";
import { probeGitHubApp, probeWebhookSecret } from "../github/probe.ts";
import { probeModel } from "../model/probe.ts";
import { DEFAULT_MODEL } from "../policy/config.ts";
import { probeDatabase } from "../store/probe.ts";
import {
  readSettings,
  requireAppSettings,
  sandboxOptions,
  SettingsError,
  type AppSecrets,
  type Settings,
} from "../settings.ts";

export const DOCTOR_USAGE = `usage: stamina doctor

Runs the checks the services run at start, and nothing else: the GitHub App's key parses and
GitHub accepts it (GET /app), the webhook secret is set and GitHub's latest delivery was not
refused for it, the database answers and is migrated, the sandbox starts, and the model answers
with the key (a count-tokens call on the Claude API, a one-token message on Bedrock and Vertex).
Settings come from STAMINA_ENV_FILE, else ./.env, else the environment.

Exits 0 when every check passes (warnings included), 1 when one fails, 78 when the settings
themselves cannot be read.
`;

export type CheckName = "github-app" | "webhook-secret" | "database" | "sandbox" | "model";

export interface CheckResult {
  name: CheckName;
  /** fail: the process cannot do its work; warn: it can, with what the text says. */
  status: "ok" | "warn" | "fail";
  /** The setting to look at, for a warning or a failure. */
  setting?: string;
  /** A failure to reach GitHub or the model, rather than a setting they refused. */
  unreachable?: boolean;
  text: string;
}

const TITLES: Record<CheckName, string> = {
  "github-app": "GitHub App",
  "webhook-secret": "webhook secret",
  database: "database",
  sandbox: "sandbox",
  model: "model",
};

/** Each check, run in this order; `only` limits them to a mode's own. */
export async function runChecks(
  settings: Settings,
  secrets: AppSecrets,
  only: readonly CheckName[] = Object.keys(TITLES) as CheckName[],
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const app = {
    appId: secrets.appId,
    privateKey: secrets.privateKey,
    baseUrl: settings.githubApiUrl,
  };
  if (only.includes("github-app")) {
    const found = await probeGitHubApp(app);
    results.push(
      found.ok
        ? { name: "github-app", status: "ok", text: found.detail }
        : {
            name: "github-app",
            status: "fail",
            setting: found.setting,
            unreachable: found.unreachable === true,
            text: found.message,
          },
    );
  }
  const appWorks = results.every((r) => r.name !== "github-app" || r.status === "ok");
  if (only.includes("webhook-secret") && appWorks) {
    // The secret is set (the settings insist); GitHub's deliveries say whether it is the app's.
    const found = await probeWebhookSecret(app);
    results.push(
      found.ok
        ? { name: "webhook-secret", status: "ok", text: found.detail }
        : { name: "webhook-secret", status: "fail", setting: found.setting, text: found.message },
    );
  }
  if (only.includes("database")) {
    const found = await probeDatabase(settings.database);
    results.push(
      found.ok
        ? { name: "database", status: "ok", text: found.detail }
        : { name: "database", status: "fail", setting: "DATABASE_URL", text: found.message },
    );
  }
  if (only.includes("sandbox")) results.push(sandboxCheck(settings));
  if (only.includes("model")) {
    const found = await probeModel({
      provider: secrets.modelProvider,
      model: DEFAULT_MODEL,
      modelIds: settings.model.modelIds,
    });
    results.push(
      found.ok
        ? { name: "model", status: "ok", text: found.detail }
        : {
            name: "model",
            // A busy model is the provider's trouble for now; runs wait and retry.
            status: found.problem === "busy" ? "warn" : "fail",
            setting: found.setting,
            unreachable: found.problem === "unreachable",
            text: found.message,
          },
    );
  }
  return results;
}

function sandboxCheck(settings: Settings): CheckResult {
  try {
    // createSandbox runs the sandbox's own probe: bubblewrap starts, and which limits hold.
    const sandbox = createSandbox(sandboxOptions(settings));
    if (sandbox.warning !== null) {
      return { name: "sandbox", status: "warn", setting: "STAMINA_SANDBOX", text: sandbox.warning };
    }
    const missing = (["memory", "processes"] as const).filter((l) => !sandbox.enforced.includes(l));
    return {
      name: "sandbox",
      status: missing.length > 0 ? "warn" : "ok",
      ...(missing.length > 0 ? { setting: "STAMINA_SANDBOX" } : {}),
      text:
        missing.length > 0
          ? `${sandbox.kind} starts; no cgroup could be used, so the ${missing.join(" and ")} limits are not enforced`
          : `${sandbox.kind} starts, with every limit enforced`,
    };
  } catch (error) {
    if (!(error instanceof SandboxUnavailable)) throw error;
    return { name: "sandbox", status: "fail", setting: "STAMINA_SANDBOX", text: error.message };
  }
}

/** One line for a check as a person reads it. */
export function checkLine(result: CheckResult): string {
  const mark = { ok: "ok  ", warn: "warn", fail: "FAIL" }[result.status];
  return `${mark} ${TITLES[result.name]}: ${result.text}`;
}

interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  env?: NodeJS.ProcessEnv;
}

export async function doctorCommand(args: string[], io: Io): Promise<number> {
  if (args.length > 0) {
    io.err.write(`stamina doctor takes no arguments: ${args.join(" ")}\n\n${DOCTOR_USAGE}`);
    return 2;
  }
  let settings: Settings;
  let secrets: AppSecrets;
  try {
    settings = readSettings(io.env);
    secrets = requireAppSettings(settings);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    io.err.write(`FAIL settings: ${error.message}\n`);
    return 78;
  }
  const results = await runChecks(settings, secrets);
  for (const result of results) io.out.write(`${checkLine(result)}\n`);
  const failed = results.filter((r) => r.status === "fail");
  io.out.write(
    failed.length === 0
      ? "Every check passed.\n"
      : `${failed.length} check(s) failed; fix the setting named, then run stamina doctor again.\n`,
  );
  return failed.length === 0 ? 0 : 1;
}
