// Whether the model answers with the operators' credentials, checked once at start and by
// `stamina doctor`: a count-tokens call on the Claude API (free, spends nothing), a one-token
// message on Bedrock and Vertex (they have no count-tokens call the SDK reaches). A failure
// names the setting to change and, for an endpoint that cannot be reached, its URL.
import { APIConnectionError, APIError } from "@anthropic-ai/sdk";
import type Anthropic from "@anthropic-ai/sdk";
import { providerModelId } from "./model-ids.ts";
import {
  CREDENTIAL_SETTINGS,
  ENDPOINT_SETTINGS,
  PROVIDER_NAMES,
  providerClient,
  type ProviderOptions,
} from "./providers.ts";

export type ModelProbe =
  | { ok: true; detail: string }
  | {
      ok: false;
      /** credentials: refused (401, 403); unreachable: no answer; busy: 429, 5xx; refused: the rest. */
      problem: "credentials" | "unreachable" | "busy" | "refused";
      /** The setting to look at. */
      setting: string;
      message: string;
    };

export interface ModelProbeOptions {
  provider: ProviderOptions;
  /** Stamina's id of the model to ask about (the repository config's default). */
  model: string;
  modelIds?: Readonly<Record<string, string>>;
  timeoutMs?: number;
}

const PING: Anthropic.MessageParam[] = [{ role: "user", content: "ping" }];

export async function probeModel(options: ModelProbeOptions): Promise<ModelProbe> {
  const { provider } = options.provider;
  const name = PROVIDER_NAMES[provider];
  const id = providerModelId(provider, options.model, options.modelIds);
  if (id === undefined) {
    return {
      ok: false,
      problem: "refused",
      setting: "STAMINA_MODEL_IDS",
      message: `${name} has no id for the default model ${options.model} that Stamina knows; name it in STAMINA_MODEL_IDS`,
    };
  }
  // The SDK's own short retries: a dropped keep-alive connection is not an unreachable model.
  const client = providerClient(options.provider, options.timeoutMs ?? 15_000, 2);
  try {
    if (provider === "anthropic") {
      const counted = await (client as Anthropic).messages.countTokens({
        model: id,
        messages: PING,
      });
      return {
        ok: true,
        detail: `${name} at ${client.baseURL} accepts the key (count-tokens on ${options.model}: ${counted.input_tokens} tokens)`,
      };
    }
    await client.messages.create({ model: id, max_tokens: 1, messages: PING });
    return { ok: true, detail: `${name} at ${client.baseURL} answered a one-token message` };
  } catch (error) {
    return failure(error, options.provider, client.baseURL);
  }
}

function failure(error: unknown, options: ProviderOptions, url: string): ModelProbe {
  const { provider } = options;
  const name = PROVIDER_NAMES[provider];
  if (error instanceof APIConnectionError) {
    return {
      ok: false,
      problem: "unreachable",
      setting: ENDPOINT_SETTINGS[provider],
      message: `${name} cannot be reached at ${url} (${causeText(error)}): check ${ENDPOINT_SETTINGS[provider]} and that this machine can reach it`,
    };
  }
  if (error instanceof APIError && typeof error.status === "number") {
    const said = apiMessage(error);
    if (error.status === 401 || error.status === 403) {
      return {
        ok: false,
        problem: "credentials",
        setting: CREDENTIAL_SETTINGS[provider],
        message: `${name} at ${url} refused the credentials (${error.status}: ${said}): check ${CREDENTIAL_SETTINGS[provider]}`,
      };
    }
    if (error.status === 429 || error.status >= 500) {
      return {
        ok: false,
        problem: "busy",
        setting: ENDPOINT_SETTINGS[provider],
        message: `${name} at ${url} answered ${error.status} (${said}); runs wait and retry while it is busy`,
      };
    }
    return {
      ok: false,
      problem: "refused",
      setting: ENDPOINT_SETTINGS[provider],
      message: `${name} at ${url} refused the check (${error.status}: ${said})`,
    };
  }
  const text = error instanceof Error ? error.message : String(error);
  return {
    ok: false,
    problem: "credentials",
    setting: CREDENTIAL_SETTINGS[provider],
    message: `${name} could not be asked (${text}): check ${CREDENTIAL_SETTINGS[provider]}`,
  };
}

/** The API's own words for a refusal (`invalid x-api-key`), not the SDK's JSON dump. */
function apiMessage(error: { error: unknown; message: string }): string {
  const body = error.error as { error?: { message?: unknown } } | undefined;
  const message = body?.error?.message;
  return typeof message === "string" ? message : error.message;
}

/** The network's own word for it (ECONNREFUSED, ENOTFOUND), else the deepest message. */
function causeText(error: Error): string {
  let e: unknown = error;
  for (let depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return code;
    if (!(e.cause instanceof Error)) return e.message;
    e = e.cause;
  }
  return error.message;
}
