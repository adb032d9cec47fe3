// What sandboxed commands may reach, as the operator sets it: STAMINA_NETWORK_ALLOW (host names
// for every run) and STAMINA_NETWORK_PRIVATE (internal services on a private address).
import { isIP } from "node:net";
import { allowEntryProblem, allowEntrySchema } from "./policy/network-config.ts";
import { SettingsError } from "./settings-error.ts";

export interface NetworkSettings {
  /**
   * Host names (`pkgs.example.com`, or `*.example.com` for any name under it), lowercased, from
   * STAMINA_NETWORK_ALLOW: allowed to every run, besides the package registries this machine's
   * package managers use and what each repository's config adds (`network.allow`).
   */
  allow: string[];
  /**
   * "address:port" pairs in a refused range that commands may reach all the same, from
   * STAMINA_NETWORK_PRIVATE: an internal registry on a private address. The operator's only.
   */
  reach: string[];
}

/** STAMINA_NETWORK_ALLOW: host names separated by commas or white space, each checked. */
export function networkAllow(value: string | undefined): string[] {
  const allow = new Set<string>();
  for (const entry of (value ?? "").split(/[\s,]+/).filter((e) => e !== "")) {
    const problem = allowEntryProblem(entry);
    if (problem !== null) throw new SettingsError(`STAMINA_NETWORK_ALLOW: ${entry} ${problem}`);
    allow.add(allowEntrySchema.parse(entry));
  }
  return [...allow];
}

/**
 * STAMINA_NETWORK_PRIVATE: `address:port` pairs (`[v6]:port` for IPv6) of internal services in a
 * private range, such as a registry mirror, that allowlisted names may lead to. Never link-local:
 * that is where the cloud metadata lives.
 */
export function networkReach(value: string | undefined): string[] {
  const reach = new Set<string>();
  for (const entry of (value ?? "").split(/[\s,]+/).filter((e) => e !== "")) {
    const match = /^(?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)):(\d{1,5})$/.exec(entry);
    const address = match?.[1] ?? match?.[2];
    const port = Number(match?.[3]);
    if (address === undefined || isIP(address) === 0 || !(port >= 1 && port <= 65535)) {
      throw new SettingsError(
        `STAMINA_NETWORK_PRIVATE: ${entry} is not an address and port: give 10.0.0.5:443, or [fd00::5]:443 for IPv6`,
      );
    }
    if (/^(169\.254\.|fe[89ab][0-9a-f]:)/i.test(address)) {
      throw new SettingsError(
        `STAMINA_NETWORK_PRIVATE: ${entry} is link-local, where the cloud metadata address lives: commands may never reach it`,
      );
    }
    reach.add(isIP(address) === 6 ? `[${address.toLowerCase()}]:${port}` : `${address}:${port}`);
  }
  return [...reach];
}
