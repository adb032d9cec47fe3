// The process's settings: the operator's network allowlist (STAMINA_NETWORK_ALLOW), each entry
// checked as a repository's `network.allow` is, the internal addresses commands may reach all
// the same (STAMINA_NETWORK_PRIVATE), the operations port (STAMINA_METRICS_PORT), and a bad
// entry named with its reason.
import { describe, expect, it } from "vitest";
import { readSettings, SettingsError } from "../src/settings.ts";

describe("STAMINA_NETWORK_ALLOW", () => {
  it("is empty unless set", () => {
    expect(readSettings({}).network).toEqual({ allow: [], reach: [] });
    expect(readSettings({ STAMINA_NETWORK_ALLOW: "" }).network).toEqual({ allow: [], reach: [] });
  });

  it("takes host names separated by commas or white space, lowercased and once each", () => {
    const settings = readSettings({
      STAMINA_NETWORK_ALLOW:
        " pkgs.example.com, *.Mirror.example.org.\n\tgit.example.net ,,PKGS.example.com ",
    });
    expect(settings.network).toEqual({
      allow: ["pkgs.example.com", "*.mirror.example.org", "git.example.net"],
      reach: [],
    });
  });

  it("names the bad entry and why", () => {
    const read = (value: string) => () => readSettings({ STAMINA_NETWORK_ALLOW: value });
    expect(read("pkgs.example.com 10.0.0.1")).toThrow(SettingsError);
    expect(read("pkgs.example.com 10.0.0.1")).toThrow(
      "STAMINA_NETWORK_ALLOW: 10.0.0.1 is an IP address; name the host, not an address: the proxy checks the address each name resolves to",
    );
    expect(read("pkgs.example.com,*")).toThrow(
      "STAMINA_NETWORK_ALLOW: * is a wildcard for every host: name the hosts, or a domain as `*.example.com` (any name under example.com)",
    );
    expect(read("https://pkgs.example.com/simple")).toThrow(
      "STAMINA_NETWORK_ALLOW: https://pkgs.example.com/simple has a scheme (https://) and a path; give only the host name: pkgs.example.com",
    );
    expect(read("metadata.google.internal")).toThrow(
      "STAMINA_NETWORK_ALLOW: metadata.google.internal is a name for the local network, which commands may never reach",
    );
  });
});

describe("STAMINA_NETWORK_PRIVATE", () => {
  it("takes the address and port of an internal service, IPv4 or bracketed IPv6", () => {
    const settings = readSettings({ STAMINA_NETWORK_PRIVATE: "10.0.0.5:443, [FD00::5]:8081" });
    expect(settings.network.reach).toEqual(["10.0.0.5:443", "[fd00::5]:8081"]);
  });

  it("refuses what is not an address and port, and any link-local address", () => {
    const read = (value: string) => () => readSettings({ STAMINA_NETWORK_PRIVATE: value });
    for (const bad of ["10.0.0.5", "npm.example.com:443", "10.0.0.5:70000", "fd00::5:443"]) {
      expect(read(bad)).toThrow(
        `STAMINA_NETWORK_PRIVATE: ${bad} is not an address and port: give 10.0.0.5:443, or [fd00::5]:443 for IPv6`,
      );
    }
    expect(read("169.254.169.254:80")).toThrow(
      "STAMINA_NETWORK_PRIVATE: 169.254.169.254:80 is link-local, where the cloud metadata address lives",
    );
  });
});

describe("the operator's spending limits and model allow-list", () => {
  it("are unset unless set, and read in dollars and model ids", () => {
    expect(readSettings({}).limits).toEqual({});
    expect(
      readSettings({
        STAMINA_MAX_DOLLARS_PER_RUN: "25",
        STAMINA_MAX_DOLLARS_PER_INSTALLATION_DAY: "100.50",
        STAMINA_MAX_DOLLARS_PER_INSTALLATION_MONTH: "2000",
        STAMINA_MODEL_ALLOW: "claude-sonnet-5-5, claude-opus-5 claude-sonnet-5-5",
      }).limits,
    ).toEqual({
      perRun: 25,
      perInstallationDay: 100.5,
      perInstallationMonth: 2000,
      modelAllow: ["claude-sonnet-5-5", "claude-opus-5"],
    });
  });

  it("name the setting and what to give when a value is wrong", () => {
    const read = (env: Record<string, string>) => () => readSettings(env);
    expect(read({ STAMINA_MAX_DOLLARS_PER_RUN: "ten" })).toThrow(
      /STAMINA_MAX_DOLLARS_PER_RUN.*amount in US dollars/,
    );
    expect(read({ STAMINA_MAX_DOLLARS_PER_INSTALLATION_DAY: "0" })).toThrow(
      /STAMINA_MAX_DOLLARS_PER_INSTALLATION_DAY.*more than 0/,
    );
    expect(read({ STAMINA_MODEL_ALLOW: "claude-sonnet-5-5,gpt-9" })).toThrow(
      /^STAMINA_MODEL_ALLOW: gpt-9 is not a model Stamina knows; name models from .*claude-sonnet-5-5/,
    );
  });
});

describe("STAMINA_METRICS_PORT", () => {
  it("is unset unless set, 0 for any free port, and a port number otherwise", () => {
    expect(readSettings({}).ops).toEqual({ metricsPort: undefined });
    expect(readSettings({ STAMINA_METRICS_PORT: "" }).ops).toEqual({ metricsPort: undefined });
    expect(readSettings({ STAMINA_METRICS_PORT: "0" }).ops).toEqual({ metricsPort: 0 });
    expect(readSettings({ STAMINA_METRICS_PORT: "9464" }).ops).toEqual({ metricsPort: 9464 });
  });

  it("names the setting when the value is not a port", () => {
    for (const bad of ["70000", "metrics", "-1"]) {
      const read = () => readSettings({ STAMINA_METRICS_PORT: bad });
      expect(read).toThrow(SettingsError);
      expect(read).toThrow(/^Invalid environment: STAMINA_METRICS_PORT: /);
    }
  });
});

describe("STAMINA_PAGES_LOCAL", () => {
  it("is off unless set to true", () => {
    expect(readSettings({}).pages).toEqual({ local: false });
    expect(readSettings({ STAMINA_PAGES_LOCAL: "false" }).pages).toEqual({ local: false });
    expect(readSettings({ STAMINA_PAGES_LOCAL: "true" }).pages).toEqual({ local: true });
  });

  it("names the setting and the values it takes when it is neither", () => {
    const read = () => readSettings({ STAMINA_PAGES_LOCAL: "yes" });
    expect(read).toThrow(SettingsError);
    expect(read).toThrow(/STAMINA_PAGES_LOCAL: must be true .* or false/);
  });
});
