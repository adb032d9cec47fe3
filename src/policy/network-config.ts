// One entry of the network allowlist, shared by the repository config (`network.allow`) and the
// operator's `STAMINA_NETWORK_ALLOW`: a host name, or `*.` and a domain, that the egress proxy
// lets commands reach. Everything else is refused with the reason, since the proxy matches names
// only: an address, a port, a path or a local-network name could never mean what was meant.
import { isIP } from "node:net";
import { z } from "zod";

const MAX_NAME = 253;
const MAX_LABEL = 63;
const LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Names that only mean something on a local network: the name itself and every name under it. */
const LOCAL_DOMAINS = [
  "localhost",
  "local",
  "internal",
  "lan",
  "home.arpa",
  "corp",
  "intranet",
  "private",
];

const EXAMPLE = "pkgs.example.com";

/**
 * What is wrong with one allowlist entry, or null when it is fine. The words follow the entry:
 * "<key>: <entry> <problem>".
 *
 * A valid entry, lowercased, trailing dot removed: "registry.example.com" or "*.example.com" (any
 * name under example.com).
 */
export function allowEntryProblem(entry: string): string | null {
  const name = normalise(entry);
  if (name === "") return `is empty: give a host name, such as ${EXAMPLE}`;
  const parts = partsOf(name);
  if (isAddress(parts.host)) {
    return "is an IP address; name the host, not an address: the proxy checks the address each name resolves to";
  }
  const extras = [
    parts.scheme && `a scheme (${parts.scheme})`,
    parts.port && "a port",
    // A bare `/` after a scheme or a port is part of writing a URL, not a path of its own.
    parts.path !== "" && (parts.path !== "/" || (!parts.scheme && !parts.port)) && "a path",
  ].filter((x): x is string => typeof x === "string" && x !== "");
  if (extras.length > 0) {
    const host = normalise(parts.host);
    const suggestion = host !== "" && allowEntryProblem(host) === null ? `: ${host}` : "";
    return `has ${joinWords(extras)}; give only the host name${suggestion}`;
  }
  return nameProblem(name);
}

/** An allowlist entry in the repository config: text, checked, lowercased, its trailing dot removed. */
export const allowEntrySchema: z.ZodType<string> = z
  .string({ error: `must be a host name (text), such as ${EXAMPLE}` })
  .trim()
  .min(1, { error: "must not be empty", abort: true })
  .refine((entry) => allowEntryProblem(entry) === null, {
    error: (issue) => {
      const entry = String(issue.input);
      return `(\`${entry}\`) ${allowEntryProblem(entry) ?? "is not a valid host name"}`;
    },
  })
  .transform(normalise);

/**
 * `allowEntryProblem`'s rule as one regular expression, for the config's JSON Schema (an editor
 * checks an entry as it is typed): a name it finds no problem with, blanks around it allowed (the
 * schema trims them), in any case (it lowercases), a trailing dot or none. A test holds the two to
 * the same verdict on every entry of their tests and on generated names: change them together.
 */
export const ALLOW_ENTRY_PATTERN = ((): string => {
  const anyCase = (text: string) =>
    text.replace(/[a-z]/g, (c) => `[${c}${c.toUpperCase()}]`).replace(/\./g, "\\.");
  const label = `[A-Za-z0-9](?:[A-Za-z0-9-]{0,${MAX_LABEL - 2}}[A-Za-z0-9])?`;
  const end = "\\.?\\s*$";
  return [
    "^\\s*(?:\\*\\.)?",
    // At most MAX_NAME characters after the wildcard, the trailing dot aside.
    `(?=[A-Za-z0-9.-]{1,${MAX_NAME}}${end})`,
    // Neither a local domain nor a name under one.
    `(?!(?:[^.\\s]+\\.)*(?:${LOCAL_DOMAINS.map(anyCase).join("|")})${end})`,
    // Two labels at least, the last not a number (which a URL parser reads as an address).
    `(?:${label}\\.)+(?![0-9]+${end}|0[xX][0-9a-fA-F]*${end})${label}${end}`,
  ].join("");
})();

function normalise(entry: string): string {
  return entry.trim().toLowerCase().replace(/\.$/, "");
}

/** A name without scheme, port or path: the wildcard, the labels, then where it points. */
function nameProblem(name: string): string | null {
  if (name === "*") {
    return `is a wildcard for every host: name the hosts, or a domain as \`*.example.com\` (any name under example.com)`;
  }
  const wildcard = name.startsWith("*.");
  const rest = wildcard ? name.slice(2) : name;
  if (rest.includes("*")) {
    return "has a wildcard where none may be: the only wildcard is a leading `*.`, as in `*.example.com` (any name under example.com)";
  }
  const syntax = syntaxProblem(rest);
  if (syntax !== null) return `is not a valid host name: ${syntax}`;
  if (LOCAL_DOMAINS.some((d) => rest === d || rest.endsWith(`.${d}`))) {
    return "is a name for the local network, which commands may never reach";
  }
  if (!rest.includes(".")) {
    return wildcard
      ? `is too wide: it takes every name under ${rest}; a wildcard needs at least two labels after \`*.\`, as in \`*.example.com\``
      : "is a name for the local network (a name without a dot), which commands may never reach";
  }
  return null;
}

function syntaxProblem(name: string): string | null {
  if (name.length > MAX_NAME) return `it is longer than ${MAX_NAME} characters`;
  // The international form of a name is its `xn--` one, which is what DNS and the proxy see.
  if (/[^\p{ASCII}]/u.test(name)) return "write an international name in its `xn--` form";
  const labels = name.split(".");
  if (labels.some((l) => l === "")) {
    return "it has an empty label (a dot at the start or two dots in a row)";
  }
  const long = labels.find((l) => l.length > MAX_LABEL);
  if (long !== undefined) {
    return `the label ${long.slice(0, 20)}… is longer than ${MAX_LABEL} characters`;
  }
  // A URL parser reads a name whose last label is a number as an IPv4 address (or refuses it).
  if (/^(\d+|0x[0-9a-f]*)$/.test(labels.at(-1) ?? "")) {
    return "its last label is a number, which makes it read as an IP address";
  }
  const bad = labels.find((l) => !LABEL.test(l));
  if (bad === undefined) return null;
  if (/^[a-z0-9-]+$/.test(bad)) return `the label ${bad} starts or ends with \`-\``;
  return `the label ${bad} has a character other than a-z, 0-9 and \`-\``;
}

interface EntryParts {
  scheme: string;
  host: string;
  port: string;
  path: string;
}

/** Splits what looks like a URL or `host:port`, so each extra gets its own words. */
function partsOf(entry: string): EntryParts {
  let rest = entry;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//.exec(rest)?.[0] ?? "";
  rest = rest.slice(scheme.length);
  const cut = rest.search(/[/?#]/);
  const path = cut < 0 ? "" : rest.slice(cut);
  rest = cut < 0 ? rest : rest.slice(0, cut);
  rest = rest.slice(rest.lastIndexOf("@") + 1);
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close > 0) {
      return { scheme, host: rest.slice(0, close + 1), port: rest.slice(close + 1), path };
    }
  }
  // More than one colon, unbracketed, is an IPv6 address, not a host and a port.
  const colons = rest.split(":").length - 1;
  if (colons !== 1) return { scheme, host: rest, port: "", path };
  const colon = rest.indexOf(":");
  return { scheme, host: rest.slice(0, colon), port: rest.slice(colon), path };
}

/**
 * An IPv4 or IPv6 address in any form a URL parser takes as one: `[::1]`, `fe80::1%eth0`, and the
 * short IPv4 forms (`10.1`, `0x7f.1`, `2130706433`).
 */
function isAddress(host: string): boolean {
  const bare = host.replace(/\.$/, "");
  if (bare.startsWith("[") || isIP(bare.replace(/%.*$/, "")) !== 0) return true;
  try {
    return isIP(new URL(`http://${bare}/`).hostname) === 4;
  } catch {
    return false;
  }
}

function joinWords(words: string[]): string {
  return words.length < 2
    ? (words[0] ?? "")
    : `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}
