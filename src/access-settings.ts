// Who may read the run pages, and where they live, read with the rest of the environment: the
// app's OAuth client (GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET, which the setup page writes),
// for signing in with GitHub, and STAMINA_PUBLIC_URL, the address people reach Stamina at, which
// the sign-in's callback and the links from GitHub to a run's page are built on.
import { z } from "zod";
import { SettingsError } from "./settings-error.ts";

/** The variables, merged into the settings' environment schema. */
export const accessEnv = {
  GITHUB_CLIENT_ID: z.string().optional(),
  GITHUB_CLIENT_SECRET: z.string().optional(),
  STAMINA_PUBLIC_URL: z
    .url({
      protocol: /^https?$/,
      error: "must be the http(s) address people reach Stamina at (https://stamina.example.com)",
    })
    .optional(),
};

export interface AccessSettings {
  /** The app's OAuth client: sign-in with GitHub for the run pages. Unset: no sign-in. */
  oauthClient: { id: string; secret: string } | undefined;
  /** STAMINA_PUBLIC_URL without its trailing slash; unset: no links to run pages. */
  publicUrl: string | undefined;
}

export function readAccessSettings(e: z.output<z.ZodObject<typeof accessEnv>>): AccessSettings {
  const id = e.GITHUB_CLIENT_ID;
  const secret = e.GITHUB_CLIENT_SECRET;
  if ((id === undefined) !== (secret === undefined)) {
    const [set, unset] =
      id === undefined
        ? ["GITHUB_CLIENT_SECRET", "GITHUB_CLIENT_ID"]
        : ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"];
    throw new SettingsError(
      `${unset}: ${set} is set but ${unset} is not; sign-in with GitHub needs both (the app's settings page on GitHub shows the client id and makes client secrets), or unset both`,
    );
  }
  return {
    oauthClient: id !== undefined && secret !== undefined ? { id, secret } : undefined,
    publicUrl: e.STAMINA_PUBLIC_URL?.replace(/\/+$/, ""),
  };
}
