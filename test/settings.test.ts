// The process's settings: the operator's network allowlist (STAMINA_NETWORK_ALLOW), each entry
// checked as a repository's `network.allow` is, and a bad one named with its reason.
import { describe, expect, it } from "vitest";
import { readSettings, SettingsError } from "../src/settings.ts";

describe("STAMINA_NETWORK_ALLOW", () => {
  it("is empty unless set", () => {
    expect(readSettings({}).network).toEqual({ allow: [] });
    expect(readSettings({ STAMINA_NETWORK_ALLOW: "" }).network).toEqual({ allow: [] });
  });

  it("takes host names separated by commas or white space, lowercased and once each", () => {
    const settings = readSettings({
      STAMINA_NETWORK_ALLOW:
        " pkgs.example.com, *.Mirror.example.org.\n\tgit.example.net ,,PKGS.example.com ",
    });
    expect(settings.network).toEqual({
      allow: ["pkgs.example.com", "*.mirror.example.org", "git.example.net"],
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
