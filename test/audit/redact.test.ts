// The redactor: every way a secret reaches text we emit, one test per trick.
import { describe, expect, it } from "vitest";
import { REDACTED, createRedactor } from "../../src/observability/redact.ts";

// Built at run time so no credential-shaped literal sits in the repository.
const installationToken = `ghs_${"A1b2C3d4E5".repeat(4)}`;
const webhookSecret = "wh-secret-Zq8Lp2Vx";

describe("createRedactor: known secrets", () => {
  const r = createRedactor([webhookSecret, "short"]);

  it("replaces a known value wherever it appears, even glued to other text", () => {
    expect(r.redact(`secret=${webhookSecret}`)).toBe(`secret=${REDACTED}`);
    expect(r.redact(`xx${webhookSecret}${webhookSecret}yy`)).toBe(`xx${REDACTED}${REDACTED}yy`);
  });

  it("replaces its base64 form", () => {
    const b64 = Buffer.from(webhookSecret).toString("base64");
    expect(r.redact(`payload ${b64} end`)).toBe(`payload ${REDACTED} end`);
  });

  it("replaces the base64 of x-access-token:<secret>, which git's Basic header carries", () => {
    const token = "v1.0123456789abcdef"; // an older installation token shape no pattern knows
    const redactor = createRedactor([token]);
    const header = Buffer.from(`x-access-token:${token}`).toString("base64");
    expect(redactor.redact(`extraHeader=${header}`)).toBe(`extraHeader=${REDACTED}`);
  });

  it("replaces its JSON-escaped form, once and twice escaped", () => {
    const key = '-----multi\nline "secret" value\\-----';
    const redactor = createRedactor([key]);
    const once = JSON.stringify({ key });
    const twice = JSON.stringify({ line: once });
    expect(redactor.redact(once)).toBe(`{"key":"${REDACTED}"}`);
    expect(redactor.redact(twice)).not.toContain("secret");
  });

  it("replaces the trimmed value too (a secret read from a file keeps its newline)", () => {
    const redactor = createRedactor([`${webhookSecret}\n`]);
    expect(redactor.redact(`got ${webhookSecret}!`)).toBe(`got ${REDACTED}!`);
  });

  it("ignores values shorter than 8 characters", () => {
    expect(r.redact("a short story")).toBe("a short story");
  });

  it("learns a secret added later", () => {
    const redactor = createRedactor();
    const fresh = "fresh-token-9f8e7d";
    expect(redactor.redact(fresh)).toBe(fresh);
    redactor.addSecret(fresh);
    expect(redactor.redact(`use ${fresh}`)).toBe(`use ${REDACTED}`);
  });

  it("replaces a longer secret whole when it contains a shorter one", () => {
    const redactor = createRedactor(["abcdefgh", "abcdefgh-and-more"]);
    expect(redactor.redact("abcdefgh-and-more")).toBe(REDACTED);
  });
});

describe("createRedactor: credential shapes", () => {
  const r = createRedactor();

  it.each(["ghs", "ghp", "gho", "ghu", "ghr"])("redacts %s_ GitHub tokens", (prefix) => {
    const token = `${prefix}_${"x9Y8z7W6v5".repeat(4)}`;
    expect(r.redact(`token ${token}.`)).toBe(`token ${REDACTED}.`);
  });

  it("leaves a GitHub prefix with too short a tail alone", () => {
    expect(r.redact("ghp_short and ghs_tooShort123")).toBe("ghp_short and ghs_tooShort123");
  });

  it("redacts fine-grained personal access tokens", () => {
    const pat = `github_pat_11ABCDEFG0${"a1B2c3D4e5".repeat(3)}_${"Z9y8X7w6v5".repeat(6)}`;
    expect(r.redact(`GH_TOKEN=${pat}`)).toBe(`GH_TOKEN=${REDACTED}`);
  });

  it("redacts Anthropic keys", () => {
    const key = `sk-ant-api03-${"Q1w2E3r4T5".repeat(9)}-AA`;
    expect(r.redact(`ANTHROPIC_API_KEY=${key}\n`)).toBe(`ANTHROPIC_API_KEY=${REDACTED}\n`);
  });

  it("redacts a PEM private key block, and nothing after it", () => {
    const pem = [
      "-----BEGIN RSA PRIVATE KEY-----",
      "MIIEpAIBAAKCAQEA1",
      "abc+/=",
      "-----END RSA PRIVATE KEY-----",
    ];
    expect(r.redact(`key:\n${pem.join("\n")}\nnext line`)).toBe(`key:\n${REDACTED}\nnext line`);
  });

  it("redacts a JSON-escaped PEM block", () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n";
    expect(r.redact(JSON.stringify({ privateKey: pem }))).toBe(`{"privateKey":"${REDACTED}\\n"}`);
  });

  it("redacts a PEM block cut off before its END line", () => {
    const cut =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAABG5vbmU=\n… [4000 characters cut] …";
    const out = r.redact(cut);
    expect(out).not.toContain("b3BlbnNzaC1rZXktdjEAAAAA");
    expect(out).not.toContain("AAAABG5vbmU=");
    expect(out).toContain("[4000 characters cut]");
  });

  it("keeps public keys and certificates", () => {
    const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
    expect(r.redact(cert)).toBe(cert);
  });

  it.each([
    ["Authorization: Bearer abc.def-ghi", `Authorization: Bearer ${REDACTED}`],
    ["authorization: token 0123456789abcdef", `authorization: token ${REDACTED}`],
    ["AUTHORIZATION: basic eC1hY2Nlc3MtdG9rZW46enp6", `AUTHORIZATION: basic ${REDACTED}`],
    [
      "http.extraHeader=Authorization: Basic dXNlcjpwYXNz",
      `http.extraHeader=Authorization: Basic ${REDACTED}`,
    ],
    ["Authorization: rawvalue123 next", `Authorization: ${REDACTED} next`],
    [
      "https://api.example/x?authorization=abc123&page=2",
      `https://api.example/x?authorization=${REDACTED}&page=2`,
    ],
    ['{"authorization":"Bearer abc123"}', `{"authorization":"Bearer ${REDACTED}"}`],
    [
      '"{\\"Authorization\\":\\"token abc123\\"}"',
      `"{\\"Authorization\\":\\"token ${REDACTED}\\"}"`,
    ],
    ["Proxy-Authorization: Basic Zm9vOmJhcg==", `Proxy-Authorization: Basic ${REDACTED}`],
  ])("redacts the Authorization value in %j", (input, expected) => {
    expect(r.redact(input)).toBe(expected);
  });

  it("redacts the password in x-access-token URLs and other URLs", () => {
    expect(r.redact("https://x-access-token:v1.abc123@github.com/o/r.git")).toBe(
      `https://x-access-token:${REDACTED}@github.com/o/r.git`,
    );
    expect(r.redact("remote: x-access-token:v1.abc123@ghe.local")).toBe(
      `remote: x-access-token:${REDACTED}@ghe.local`,
    );
    expect(r.redact("postgres://stamina:hunter2pass@db:5432/stamina")).toBe(
      `postgres://stamina:${REDACTED}@db:5432/stamina`,
    );
  });

  it("leaves URLs without a password alone", () => {
    const text = "see http://localhost:8080/a@b and git@github.com:o/r.git";
    expect(r.redact(text)).toBe(text);
  });

  it("redacts JWTs, including unsigned ones", () => {
    const header = Buffer.from('{"alg":"RS256","typ":"JWT"}').toString("base64url");
    const payload = Buffer.from('{"iss":"12345","iat":1700000000}').toString("base64url");
    expect(r.redact(`jwt ${header}.${payload}.c2lnbmF0dXJl-_x done`)).toBe(`jwt ${REDACTED} done`);
    expect(r.redact(`${header}.${payload}.`)).toBe(REDACTED);
  });

  it("finds tokens in JSON-escaped text where no word boundary precedes them", () => {
    const line = JSON.stringify({ msg: `token:\n${installationToken}` });
    expect(line).toContain(`\\n${installationToken}`);
    expect(r.redact(line)).toBe(JSON.stringify({ msg: `token:\n${REDACTED}` }));
  });

  it("is idempotent", () => {
    const once = r.redact(
      `Authorization: Bearer ${installationToken} https://x-access-token:${installationToken}@h`,
    );
    expect(r.redact(once)).toBe(once);
  });

  it("leaves ordinary text and code alone", () => {
    const text =
      "const total = items.reduce((a, b) => a + b, 0); // see https://example.com/docs?page=2";
    expect(r.redact(text)).toBe(text);
  });

  it("handles megabytes of text", () => {
    const filler = "npm test output line with nothing secret in it at all\n".repeat(40_000);
    const text = `${filler}${installationToken}\n${filler}`;
    const out = r.redact(text);
    expect(out.length).toBe(text.length - installationToken.length + REDACTED.length);
    expect(out).not.toContain(installationToken);
  });
});

describe("createRedactor: redactValue", () => {
  const r = createRedactor([webhookSecret]);

  it("redacts strings deep in objects and arrays and returns a copy", () => {
    const value = {
      command: `echo ${webhookSecret}`,
      nested: { list: [1, true, null, `Bearer x`, { env: { TOKEN: installationToken } }] },
    };
    const copy = r.redactValue(value);
    expect(copy).toEqual({
      command: `echo ${REDACTED}`,
      nested: { list: [1, true, null, "Bearer x", { env: { TOKEN: REDACTED } }] },
    });
    expect(value.command).toBe(`echo ${webhookSecret}`); // the original is untouched
    expect(copy.nested).not.toBe(value.nested);
  });

  it("redacts object keys too", () => {
    expect(r.redactValue({ [installationToken]: "yes" })).toEqual({ [REDACTED]: "yes" });
  });

  it("redacts what JSON would write for a URL or a Date", () => {
    const copy = r.redactValue({
      url: new URL(`https://x-access-token:${installationToken}@github.com/o/r`),
    });
    expect(JSON.stringify(copy)).not.toContain(installationToken);
    expect(copy.url).toBe(`https://x-access-token:${REDACTED}@github.com/o/r`);
  });

  it("survives a cycle", () => {
    const value: Record<string, unknown> = { secret: webhookSecret };
    value.self = value;
    const copy = r.redactValue(value);
    expect(copy.secret).toBe(REDACTED);
    expect(copy.self).toBe(copy);
  });

  it("passes other values through", () => {
    expect(r.redactValue(42)).toBe(42);
    expect(r.redactValue(undefined)).toBeUndefined();
    expect(r.redactValue(webhookSecret)).toBe(REDACTED);
  });
});
