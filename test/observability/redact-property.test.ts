// The redactor against a held secret in every encoding an attacker might print it in, over
// generated secrets and the text around them: the encoded form is gone, decoding what is left
// the same way gives the secret back nowhere, and `locate` says where it was.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REDACTED, createRedactor } from "../../src/observability/redact.ts";

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const chars = (set: string) => fc.constantFrom(...set);
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Any printable ASCII, symbols and spaces too, with at least 8 characters that are not blank. */
const anySecret = fc
  .string({ unit: printable, minLength: 8, maxLength: 80 })
  .filter((s) => s.replace(/[ \t]/g, "").length >= 8);
/** The shapes of what Stamina holds: tokens, API keys, a hex webhook secret, a password. */
const tokenSecret = fc.oneof(
  fc.string({ unit: chars(ALNUM), minLength: 36, maxLength: 40 }).map((t) => `ghs_${t}`),
  fc.string({ unit: chars(`${ALNUM}-_`), minLength: 20, maxLength: 60 }).map((t) => `sk-ant-${t}`),
  fc.string({ unit: chars("0123456789abcdef"), minLength: 40, maxLength: 40 }),
  fc.string({ unit: chars(`${ALNUM}!@#%^&*`), minLength: 8, maxLength: 24 }),
);
const secretArb = fc.oneof(anySecret, tokenSecret);
/** Ordinary text around it, lines and indentation included. */
const around = fc.string({
  unit: fc.oneof({ weight: 8, arbitrary: printable }, { weight: 1, arbitrary: chars("\n\t") }),
  maxLength: 40,
});
const bytes = (min: number, max: number) =>
  fc.uint8Array({ minLength: min, maxLength: max }).map((a) => Buffer.from(a));

/** A secret encoded: the text, the part of it that only the secret decides, and a way back. */
interface Encoded {
  text: string;
  /** `text.slice(at, at + core.length)`: what must be gone, and what `locate` must cover. */
  core: string;
  at: number;
  /** What an attacker gets from one piece of the redacted output, decoded the same way. */
  decode: (piece: string) => Buffer[];
}

const utf8 = (piece: string) => [Buffer.from(piece)];
const reverse = (s: string) => [...s].reverse().join("");

function base64(secret: Buffer, lead: Buffer, trail: Buffer, url: boolean): Encoded {
  const encoding = url ? "base64url" : "base64";
  const text = Buffer.concat([lead, secret, trail]).toString(encoding);
  // The characters made of the secret's bits alone.
  const at = Math.ceil((8 * lead.length) / 6);
  const end = Math.floor((8 * (lead.length + secret.length)) / 6);
  return {
    text,
    core: text.slice(at, end),
    at,
    decode: (piece) =>
      (piece.match(/[A-Za-z0-9+/_-]+/g) ?? []).flatMap((run) =>
        [0, 1, 2, 3].map((skip) => Buffer.from(run.slice(skip), "base64")),
      ),
  };
}

function hex(secret: Buffer, upper: boolean): Encoded {
  const lower = secret.toString("hex");
  const text = upper ? lower.toUpperCase() : lower;
  return {
    text,
    core: text,
    at: 0,
    decode: (piece) =>
      (piece.match(/[0-9a-f]+/gi) ?? []).flatMap((run) =>
        [0, 1].map((skip) => Buffer.from(run.slice(skip), "hex")),
      ),
  };
}

/** `%XX` and `+` decoded, anything else kept: what a forgiving URL decoder does. */
function urlDecoded(piece: string): Buffer[] {
  const out: number[] = [];
  for (let i = 0; i < piece.length; i++) {
    const escape = /^%([0-9a-f]{2})/i.exec(piece.slice(i, i + 3));
    if (escape) {
      out.push(parseInt(escape[1]!, 16));
      i += 2;
    } else out.push(...Buffer.from(piece[i] === "+" ? " " : piece[i]!));
  }
  return [Buffer.from(out)];
}

function percentAll(secret: Buffer, cases: boolean[]): Encoded {
  const text = [...secret]
    .map((b, i) => {
      const code = b.toString(16).padStart(2, "0");
      return `%${cases[i % cases.length] ? code.toUpperCase() : code}`;
    })
    .join("");
  return { text, core: text, at: 0, decode: urlDecoded };
}

const BREAKS = ["\n", "\r\n", "\n  ", "\r\n\t", "\n    ", "\n\t\t"];

function split(secret: string, at: number, brk: string): Encoded {
  const cut = Math.max(1, Math.min(secret.length - 1, at));
  const text = `${secret.slice(0, cut)}${brk}${secret.slice(cut)}`;
  return {
    text,
    core: text,
    at: 0,
    // Joined back: the break and its indentation dropped, or the break alone.
    decode: (piece) =>
      [piece.replace(/\r?\n[ \t]*/g, ""), piece.replace(/\r?\n/g, "")].map((p) => Buffer.from(p)),
  };
}

const jsonUnescaped = (piece: string): Buffer[] => {
  try {
    return [Buffer.from(JSON.parse(`"${piece}"`) as string), Buffer.from(piece)];
  } catch {
    return [Buffer.from(piece)];
  }
};

/** Every encoding, each from the secret and some random choices. */
const encodingArb = (secret: string): fc.Arbitrary<[string, Encoded]> => {
  const raw = Buffer.from(secret);
  const plain = (name: string, text: string, decode: Encoded["decode"]) =>
    fc.constant<[string, Encoded]>([name, { text, core: text, at: 0, decode }]);
  return fc.oneof(
    plain("plain", secret, utf8),
    fc
      .tuple(fc.integer({ min: 0, max: 2 }), bytes(3, 3), bytes(0, 3), fc.boolean())
      .map(([offset, lead, trail, url]): [string, Encoded] => [
        `${url ? "base64url" : "base64"} at offset ${offset}`,
        base64(raw, lead.subarray(0, offset), trail, url),
      ]),
    fc
      .boolean()
      .map((upper): [string, Encoded] => [`hex (${upper ? "upper" : "lower"})`, hex(raw, upper)]),
    plain("encodeURIComponent", encodeURIComponent(secret), urlDecoded),
    fc
      .array(fc.boolean(), { minLength: 1, maxLength: 8 })
      .map((cases): [string, Encoded] => ["%XX", percentAll(raw, cases)]),
    plain("reversed", reverse(secret), (piece) => [Buffer.from(reverse(piece))]),
    fc
      .tuple(fc.nat({ max: 80 }), fc.constantFrom(...BREAKS))
      .map(([at, brk]): [string, Encoded] => [
        `split by ${JSON.stringify(brk)}`,
        split(secret, at, brk),
      ]),
    plain("JSON-escaped", JSON.stringify(secret).slice(1, -1), jsonUnescaped),
    fc
      .tuple(fc.nat({ max: 80 }), fc.constantFrom(...BREAKS))
      .map(([at, brk]): [string, Encoded] => {
        const cut = split(secret, at, brk).text;
        const text = JSON.stringify(cut).slice(1, -1);
        return ["split, in a JSON log line", { text, core: text, at: 0, decode: jsonUnescaped }];
      }),
  );
};

const caseFolded = (name: string, s: string) => (/hex|%XX/.test(name) ? s.toLowerCase() : s);

describe("redact and locate: a held secret in any encoding", () => {
  it("leaves neither the encoded form nor anything that decodes to the secret, and locates it", () => {
    const scenario = secretArb.chain((secret) =>
      fc.tuple(fc.constant(secret), encodingArb(secret), around, around),
    );
    fc.assert(
      fc.property(scenario, ([secret, [name, encoded], prefix, suffix]) => {
        const redactor = createRedactor([secret]);
        const embedded = `${prefix}${encoded.text}${suffix}`;
        const out = redactor.redact(embedded);

        expect(caseFolded(name, out), name).not.toContain(caseFolded(name, encoded.core));
        const secretBytes = Buffer.from(secret);
        for (const piece of out.split(REDACTED)) {
          for (const decoded of encoded.decode(piece)) {
            expect(decoded.includes(secretBytes), `${name}: ${JSON.stringify(piece)}`).toBe(false);
          }
        }

        // Blanks and breaks at the edges of the core hold nothing of the secret's.
        const lead = /^(?:\s|\\[nrt])*/.exec(encoded.core)![0].length;
        const trail = /(?:\s|\\[nrt])*$/.exec(encoded.core.slice(lead))![0].length;
        const start = prefix.length + encoded.at + lead;
        const end = prefix.length + encoded.at + encoded.core.length - trail;
        const found = redactor.locate(embedded);
        expect(
          found.some((m) => m.start <= start && m.end >= end),
          `${name}: ${JSON.stringify(found)}`,
        ).toBe(true);
        expect(found.map((m) => m.start)).toEqual(
          [...found.map((m) => m.start)].sort((a, b) => a - b),
        );
      }),
      { numRuns: 1_000 },
    );
  });

  it("redacts several held secrets glued to one another in their forms", () => {
    const scenario = fc
      .array(secretArb, { minLength: 2, maxLength: 4 })
      .chain((secrets) => fc.tuple(fc.constant(secrets), fc.tuple(...secrets.map(encodingArb))));
    fc.assert(
      fc.property(scenario, ([secrets, encodings]) => {
        const redactor = createRedactor(secrets);
        const out = redactor.redact(encodings.map(([, e]) => e.text).join(""));
        for (const [name, encoded] of encodings) {
          expect(caseFolded(name, out), name).not.toContain(caseFolded(name, encoded.core));
        }
      }),
      { numRuns: 300 },
    );
  });
});
