// The forms a held secret is found in, one example each with the name `locate` gives it, and
// the ordinary text around secrets that must come out as it went in.
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { REDACTED, createRedactor } from "../../src/observability/redact.ts";

// Chosen so that its base64 holds `+` and `/` (base64url differs) and URL encoding changes it.
const secret = "wh?secret>Zq8~Lp2 Vx";
const bytes = Buffer.from(secret);
const r = createRedactor([secret]);

/** What `locate` finds in `text`, as the text it covers and the form's name. */
const located = (text: string) =>
  r.locate(text).map((m) => ({ text: text.slice(m.start, m.end), form: m.form }));

describe("locate: every form, named", () => {
  it("finds the value as written", () => {
    expect(located(`a ${secret} b`)).toEqual([{ text: secret, form: "as written" }]);
  });

  it("finds it JSON-escaped, once and twice", () => {
    const quoted = createRedactor(['say "hi" \\ bye now']);
    const once = JSON.stringify({ v: 'say "hi" \\ bye now' });
    expect(quoted.locate(once).map((m) => m.form)).toEqual(["JSON-escaped"]);
    expect(quoted.locate(JSON.stringify({ line: once })).map((m) => m.form)).toEqual([
      "JSON-escaped",
    ]);
  });

  it.each([0, 1, 2])("finds it in base64 after %i other bytes, and in base64url", (before) => {
    const data = Buffer.concat([randomBytes(before), bytes, Buffer.from("!and more")]);
    const b64 = data.toString("base64");
    const url = data.toString("base64url");
    expect(b64).not.toBe(url);
    for (const [text, form] of [
      [b64, "base64"],
      [url, "base64url"],
    ] as const) {
      const [found, ...rest] = located(`data: ${text}\n`);
      expect(rest).toEqual([]);
      expect(found?.form).toBe(form);
      expect(text).toContain(found?.text);
      // What is left of the blob does not decode to the secret at any alignment.
      for (const piece of r.redact(text).split(REDACTED)) {
        for (const skip of [0, 1, 2, 3]) {
          expect(Buffer.from(piece.slice(skip), "base64").includes(bytes)).toBe(false);
        }
      }
    }
  });

  it("finds it in hex, lower, upper or mixed case", () => {
    const hex = bytes.toString("hex");
    const mixed = [...hex].map((c, i) => (i % 3 === 0 ? c.toUpperCase() : c)).join("");
    for (const text of [hex, hex.toUpperCase(), mixed]) {
      expect(located(`0x${text};`)).toEqual([{ text, form: "hex" }]);
    }
  });

  it("finds it URL-encoded: encodeURIComponent, form encoding and every byte as %XX", () => {
    const component = encodeURIComponent(secret);
    const form = new URLSearchParams({ q: secret }).toString().slice(2);
    const every = [...bytes].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");
    expect(component).not.toBe(secret);
    for (const text of [component, form, every, every.toUpperCase()]) {
      expect(located(`https://x.example/?q=${text}&p=1`)).toEqual([{ text, form: "URL-encoded" }]);
    }
  });

  it("finds it reversed", () => {
    const reversed = [...secret].reverse().join("");
    expect(located(`rev: ${reversed}`)).toEqual([{ text: reversed, form: "reversed" }]);
  });

  it("finds it cut across lines, with the line break in what it covers", () => {
    for (const brk of ["\n", "\r\n", "\n    ", "\r\n\t"]) {
      const text = `${secret.slice(0, 7)}${brk}${secret.slice(7)}`;
      expect(located(`one\n${text}\ntwo`)).toEqual([{ text, form: "split across lines" }]);
    }
  });

  it("finds it cut where the indentation after the break meets its own space", () => {
    const text = `${secret.slice(0, 17)}\n\t${secret.slice(17)}`; // the break right before " Vx"
    expect(secret[17]).toBe(" ");
    expect(located(text)).toEqual([{ text, form: "split across lines" }]);
  });

  it("finds it cut in a JSON log line", () => {
    const line = JSON.stringify({ msg: `${secret.slice(0, 9)}\n  ${secret.slice(9)}` });
    expect(r.locate(line).map((m) => m.form)).toEqual(["split across lines"]);
    expect(r.redact(line)).toBe(JSON.stringify({ msg: REDACTED }));
  });

  it("finds base64 wrapped at 76 columns, as `base64` prints it", () => {
    const long = createRedactor([`${secret}${"-and-then-some".repeat(6)}`]);
    const wrapped = Buffer.from(`${secret}${"-and-then-some".repeat(6)}`)
      .toString("base64")
      .replace(/.{76}/g, "$&\n");
    expect(long.locate(wrapped).map((m) => m.form)).toEqual(["base64, split across lines"]);
    expect(long.redact(wrapped).split(REDACTED).join("")).not.toMatch(/[A-Za-z0-9+/]{4}/);
  });

  it("finds a private key's body and any line of it without the BEGIN line", () => {
    const lines = randomBytes(150)
      .toString("base64")
      .match(/.{1,64}/g)!;
    const key = `-----BEGIN PRIVATE KEY-----\n${lines.join("\n")}\n-----END PRIVATE KEY-----\n`;
    const redactor = createRedactor([key]);
    expect(redactor.redact(`cat key | sed 1d:\n${lines.join("\n")}\n`)).toBe(
      `cat key | sed 1d:\n${REDACTED}\n`,
    );
    expect(redactor.redact(`line 2 is ${lines[1]}!`)).toBe(`line 2 is ${REDACTED}!`);
  });
});

describe("redact: ordinary text comes out as it went in", () => {
  const hexSecret = randomBytes(20).toString("hex"); // a webhook secret's shape
  const hexRedactor = createRedactor([hexSecret, secret]);

  it("keeps git shas and hex that share only part of a secret's hex form", () => {
    const shas = Array.from({ length: 50 }, () => randomBytes(20).toString("hex"));
    const near = `${bytes.toString("hex").slice(0, 14)}${randomBytes(13).toString("hex")}`;
    const nearPlain = `${hexSecret.slice(0, 7)}${randomBytes(16).toString("hex")}`;
    const log = [...shas, near, nearPlain, hexSecret.slice(0, 12)].join("\n");
    expect(hexRedactor.redact(log)).toBe(log);
    expect(hexRedactor.redact(`${log}\n${hexSecret}\n`)).toBe(`${log}\n${REDACTED}\n`);
  });

  it("keeps short pieces of a secret, on one line or across two", () => {
    const text = `wh?secret> and Zq8~Lp2 and ${secret.slice(0, 7)}\n${secret.slice(8)}`;
    expect(r.redact(text)).toBe(text);
  });

  it("keeps line breaks, escapes and indentation it finds nothing across", () => {
    const text = 'a\n  b\r\n\tc "\\n" \\\\n \\r\\n\\t d\n';
    expect(r.redact(text)).toBe(text);
    expect(r.redact(`${text}${secret}${text}`)).toBe(`${text}${REDACTED}${text}`);
  });

  it("keeps random bytes in base64, base64url and hex whatever the secret", () => {
    const secretArb = fc.string({ minLength: 8, maxLength: 40 });
    // Unbiased: fast-check's favourite blob is all zeros, whose base64 is a run of `A`s.
    const blob = fc
      .noBias(fc.uint8Array({ minLength: 1, maxLength: 600 }))
      .map((a) => Buffer.from(a));
    fc.assert(
      fc.property(secretArb, blob, (s, data) => {
        const redactor = createRedactor([s]);
        for (const encoding of ["base64", "base64url", "hex"] as const) {
          const text = data.toString(encoding);
          expect(redactor.redact(text)).toBe(text);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("a text redacted again", () => {
  it.each([
    ["long", "output line\n".repeat(100)],
    ["short", ""],
  ])("(%s) gives the same result, and catches a secret added since", (_, lines) => {
    const later = "tok_added_later_Zq8Lp2Vx";
    const redactor = createRedactor([secret]);
    const text = `${lines}${secret} and ${later}\n`;
    const first = redactor.redact(text);
    expect(first).toContain(REDACTED);
    expect(first).toContain(later);
    expect(redactor.redact(text)).toBe(first);
    // As a key of a value too: keys come back in every request.
    expect(Object.keys(redactor.redactValue({ [later]: 1 }))).toEqual([later]);
    redactor.addSecret(later);
    expect(redactor.redact(text)).not.toContain(later);
    expect(Object.keys(redactor.redactValue({ [later]: 1 }))).toEqual([REDACTED]);
  });
});
