// The network allowlist: one entry's check, shared by the repository config (`network.allow`) and
// STAMINA_NETWORK_ALLOW, and the `network` key as a maintainer writes it and reads its errors.
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { ConfigError, parseRepoConfig } from "../../src/policy/config.ts";
import { allowEntryProblem, allowEntrySchema } from "../../src/policy/network-config.ts";
import { configErrorComment } from "../../src/app/repo-config.ts";

const ADDRESS =
  "is an IP address; name the host, not an address: the proxy checks the address each name resolves to";
const LOCAL = "is a name for the local network, which commands may never reach";
const OTHER_WILDCARD =
  "has a wildcard where none may be: the only wildcard is a leading `*.`, as in `*.example.com` (any name under example.com)";

/** The problems a maintainer is shown for `.github/stamina.yml` written as this text. */
function problemsOf(yaml: string): string[] {
  try {
    parseRepoConfig(parseYaml(yaml));
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("an allowlist entry", () => {
  it("takes a host name or a leading `*.` over a domain, lowercased, without the trailing dot", () => {
    for (const entry of ["registry.example.com", "*.example.com", "a-1.b2.example.org"]) {
      expect(allowEntryProblem(entry)).toBeNull();
      expect(allowEntrySchema.parse(entry)).toBe(entry);
    }
    expect(allowEntryProblem("Registry.Example.COM.")).toBeNull();
    expect(allowEntrySchema.parse(" Registry.Example.COM. ")).toBe("registry.example.com");
    expect(allowEntrySchema.parse("*.Example.com.")).toBe("*.example.com");
    // What the schema outputs parses again to itself (a run's config is read back through it).
    expect(allowEntrySchema.parse(allowEntrySchema.parse("PKGS.example.com."))).toBe(
      "pkgs.example.com",
    );
  });

  it("refuses a wildcard other than a leading `*.` over at least two labels", () => {
    expect(allowEntryProblem("*")).toBe(
      "is a wildcard for every host: name the hosts, or a domain as `*.example.com` (any name under example.com)",
    );
    expect(allowEntryProblem("*.com")).toBe(
      "is too wide: it takes every name under com; a wildcard needs at least two labels after `*.`, as in `*.example.com`",
    );
    for (const entry of [
      "*.*.example.com",
      "**.example.com",
      "*example.com",
      "foo.*.com",
      "x*.com",
    ]) {
      expect(allowEntryProblem(entry), entry).toBe(OTHER_WILDCARD);
    }
  });

  it("refuses an address, IPv4 or IPv6, bracketed or not, with or without a port", () => {
    for (const entry of [
      "10.0.0.1",
      "10.0.0.1:443",
      "169.254.169.254",
      "::1",
      "fd00::1",
      "[::1]",
      "[fd00::1]:8080",
      "fe80::1%eth0",
      "https://10.0.0.1/simple",
      // The short forms a URL parser reads as IPv4 too.
      "2130706433",
      "0x7f.1",
      "10.1",
    ]) {
      expect(allowEntryProblem(entry), entry).toBe(ADDRESS);
    }
  });

  it("refuses a scheme, a port or a path, and says to give only the host name", () => {
    expect(allowEntryProblem("https://x.example.com")).toBe(
      "has a scheme (https://); give only the host name: x.example.com",
    );
    expect(allowEntryProblem("x.example.com:443")).toBe(
      "has a port; give only the host name: x.example.com",
    );
    expect(allowEntryProblem("x.example.com/path")).toBe(
      "has a path; give only the host name: x.example.com",
    );
    expect(allowEntryProblem("https://x.example.com:8443/simple/")).toBe(
      "has a scheme (https://), a port and a path; give only the host name: x.example.com",
    );
    // No host name worth suggesting: only what to do.
    expect(allowEntryProblem("https://localhost")).toBe(
      "has a scheme (https://); give only the host name",
    );
  });

  it("refuses the names of the local network", () => {
    for (const entry of [
      "localhost",
      "LOCALHOST.",
      "*.localhost",
      "app.localhost",
      "printer.local",
      "*.local",
      "metadata.google.internal",
      "*.internal",
      "nas.lan",
      "*.home.arpa",
      "router.home.arpa",
      "git.corp",
      "wiki.intranet",
      "db.private",
    ]) {
      expect(allowEntryProblem(entry), entry).toBe(LOCAL);
    }
    expect(allowEntryProblem("registry")).toBe(
      "is a name for the local network (a name without a dot), which commands may never reach",
    );
  });

  it("refuses what is not a host name, and an empty entry", () => {
    const invalid = (why: string) => `is not a valid host name: ${why}`;
    expect(allowEntryProblem("")).toBe("is empty: give a host name, such as pkgs.example.com");
    expect(allowEntryProblem("-x.example.com")).toBe(
      invalid("the label -x starts or ends with `-`"),
    );
    expect(allowEntryProblem("x-.example.com")).toBe(
      invalid("the label x- starts or ends with `-`"),
    );
    expect(allowEntryProblem("my_host.example.com")).toBe(
      invalid("the label my_host has a character other than a-z, 0-9 and `-`"),
    );
    expect(allowEntryProblem("x..example.com")).toBe(
      invalid("it has an empty label (a dot at the start or two dots in a row)"),
    );
    expect(allowEntryProblem(`${"a".repeat(64)}.example.com`)).toBe(
      invalid(`the label ${"a".repeat(20)}… is longer than 63 characters`),
    );
    expect(allowEntryProblem(`${"a".repeat(63)}.example.com`)).toBeNull();
    const long = `${`${"a".repeat(60)}.`.repeat(4)}example.com`;
    expect(long.length).toBeGreaterThan(253);
    expect(allowEntryProblem(long)).toBe(invalid("it is longer than 253 characters"));
    expect(allowEntryProblem("bücher.example.com")).toBe(
      invalid("write an international name in its `xn--` form"),
    );
    expect(allowEntryProblem("xn--bcher-kva.example.com")).toBeNull();
    expect(allowEntryProblem("example.123")).toBe(
      invalid("its last label is a number, which makes it read as an IP address"),
    );
  });
});

describe("the `network` key of the repository config", () => {
  it("takes the allowlist and the agent's switch, and defaults to neither", () => {
    const config = parseRepoConfig(
      parseYaml(
        [
          "network:",
          "  allow:",
          "    - Pkgs.Example.com.",
          "    - '*.example.org'",
          "  agent: true",
        ].join("\n"),
      ),
    );
    expect(config.network).toEqual({ allow: ["pkgs.example.com", "*.example.org"], agent: true });
    expect(parseRepoConfig(JSON.parse(JSON.stringify(config)))).toEqual(config);
    expect(parseRepoConfig(null).network).toEqual({ allow: [], agent: false });
    expect(parseRepoConfig(parseYaml("network: {}")).network).toEqual({ allow: [], agent: false });
    expect(parseRepoConfig(parseYaml("network: { agent: true }")).network).toEqual({
      allow: [],
      agent: true,
    });
  });

  it("names the entry and the problem, as the maintainers' comment shows them", () => {
    expect(problemsOf('network:\n  allow: ["*"]\n')).toEqual([
      "`network.allow.0` (`*`) is a wildcard for every host: name the hosts, or a domain as `*.example.com` (any name under example.com)",
    ]);
    expect(problemsOf('network:\n  allow: ["10.0.0.1"]\n')).toEqual([
      `\`network.allow.0\` (\`10.0.0.1\`) ${ADDRESS}`,
    ]);
    const problems = problemsOf(
      "network:\n  allow: [pkgs.example.com, localhost]\n  agent: yes\n  alow: []\n",
    );
    expect(problems.sort()).toEqual(
      [
        `\`network.allow.1\` (\`localhost\`) ${LOCAL}`,
        "`network.agent` must be true or false",
        "unknown key `alow` in `network` (did you mean `allow`?)",
      ].sort(),
    );
    expect(configErrorComment(problemsOf("network:\n  allow: [localhost]\n"))).toContain(
      `\n- \`network.allow.0\` (\`localhost\`) ${LOCAL}\n`,
    );
  });

  it("names a wrong shape", () => {
    expect(problemsOf("network: true")).toEqual([
      "`network` must be a mapping such as `allow: [pkgs.example.com]`",
    ]);
    expect(problemsOf("network:\n  allow: pkgs.example.com\n")).toEqual([
      "`network.allow` must be a list of host names, such as `[pkgs.example.com]`",
    ]);
    expect(problemsOf("network:\n  allow: ['', 3]\n")).toEqual([
      "`network.allow.0` must not be empty",
      "`network.allow.1` must be a host name (text), such as pkgs.example.com",
    ]);
    const many = Array.from({ length: 101 }, (_, i) => `h${i}.example.com`);
    expect(problemsOf(`network:\n  allow: [${many.join(", ")}]\n`)).toEqual([
      "`network.allow` must list at most 100 host names",
    ]);
  });
});
