// The database URL's password is a held secret: what the redactor is given for it, and that a
// redactor given it finds the password however a command prints it.
import { describe, expect, it } from "vitest";
import { REDACTED, createRedactor } from "../src/observability/redact.ts";
import { databaseSecrets, readSettings } from "../src/settings.ts";

const secretsOf = (url?: string) =>
  databaseSecrets(readSettings(url === undefined ? {} : { DATABASE_URL: url }).database);

describe("databaseSecrets", () => {
  it("is the password of a PostgreSQL URL, as written and decoded", () => {
    expect(secretsOf("postgres://stamina:s3cret-Pa55word@db:5432/stamina")).toEqual([
      "s3cret-Pa55word",
    ]);
    expect(secretsOf("postgresql://stamina:p%40ss%2Fw0rd%3Aok@db/stamina")).toEqual([
      "p%40ss%2Fw0rd%3Aok",
      "p@ss/w0rd:ok",
    ]);
  });

  it("is nothing for SQLite or a URL without a password", () => {
    expect(secretsOf()).toEqual([]);
    expect(secretsOf("sqlite:/tmp/x.db")).toEqual([]);
    expect(secretsOf("postgres://stamina@db:5432/stamina")).toEqual([]);
  });

  it("keeps a password whose percent signs decode to nothing as written", () => {
    expect(secretsOf("postgres://u:100%25-%zz-pass@db/x")).toEqual(["100%25-%zz-pass"]);
  });

  it("lets the redactor find the decoded password outside any URL", () => {
    const password = "p@ss/w0rd:ok-long";
    const redactor = createRedactor(secretsOf(`postgres://u:${encodeURIComponent(password)}@db/x`));
    const hex = Buffer.from(password).toString("hex");
    expect(redactor.redact(`PGPASSWORD=${password} ${hex}`)).toBe(
      `PGPASSWORD=${REDACTED} ${REDACTED}`,
    );
  });
});
