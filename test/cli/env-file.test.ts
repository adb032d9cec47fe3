// The settings writer the setup page uses: the keys it sets are replaced where they stand or
// appended, every other line of the file stays, the file ends with a newline, and Node's own
// parser (what `stamina` reads .env with) reads back exactly the values written.
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatEnvValue, mergeEnvText, writeEnvSettings } from "../../src/cli/env-file.ts";
import { APP_PRIVATE_KEY } from "../support/app-harness.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stamina-env-file-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("mergeEnvText", () => {
  it("replaces a key where it stands, appends a missing one, keeps the rest", () => {
    const text = "# the app\nAPP_ID=\n\nLOG_LEVEL=debug # chatty\nPORT=3000\n";
    expect(mergeEnvText(text, { APP_ID: "42", WEBHOOK_SECRET: "s3cr3t" })).toBe(
      "# the app\nAPP_ID=42\n\nLOG_LEVEL=debug # chatty\nPORT=3000\nWEBHOOK_SECRET=s3cr3t\n",
    );
  });

  it("ends the file with a newline when it had none", () => {
    expect(mergeEnvText("LOG_LEVEL=debug", { APP_ID: "42" })).toBe("LOG_LEVEL=debug\nAPP_ID=42\n");
    expect(mergeEnvText("APP_ID=1", { APP_ID: "42" })).toBe("APP_ID=42\n");
    expect(mergeEnvText("", { APP_ID: "42" })).toBe("APP_ID=42\n");
  });

  it("replaces a key in quotes over several lines whole, and every assignment of it", () => {
    const text = 'PRIVATE_KEY="-----BEGIN\nold\n-----END"\nA=1\nexport PRIVATE_KEY=x\n';
    const merged = mergeEnvText(text, { PRIVATE_KEY: "new" });
    expect(merged).toBe("PRIVATE_KEY=new\nA=1\nexport PRIVATE_KEY=new\n");
    expect(parseEnv(merged)).toEqual({ PRIVATE_KEY: "new", A: "1" });
  });

  it("never takes a line inside another setting's value for a setting", () => {
    const text = "NOTES='one\nAPP_ID=7\ntwo'\nAPP_ID=\n";
    const merged = mergeEnvText(text, { APP_ID: "42" });
    expect(merged).toBe("NOTES='one\nAPP_ID=7\ntwo'\nAPP_ID=42\n");
    expect(parseEnv(merged)).toEqual({ NOTES: "one\nAPP_ID=7\ntwo", APP_ID: "42" });
  });

  it("keeps a file's CRLF line ends", () => {
    expect(mergeEnvText("# x\r\nAPP_ID=\r\nB=2", { APP_ID: "42" })).toBe(
      "# x\r\nAPP_ID=42\r\nB=2\r\n",
    );
  });

  it("writes each value so that Node's parser reads it back exactly", () => {
    const values = {
      PRIVATE_KEY: APP_PRIVATE_KEY,
      WEBHOOK_SECRET: "a b#c 'd'",
      GITHUB_CLIENT_SECRET: `say "hi"\nand 'bye'`,
      APP_ID: "12345",
      GITHUB_CLIENT_ID: "Iv1.0123abcd",
      BACKSLASHES: "C:\\new\\dir",
      EMPTY: "",
    };
    const merged = mergeEnvText("# settings\n", values);
    expect(parseEnv(merged)).toEqual(values);
    // The key on one line, its line breaks written as \n, as the README says.
    expect(merged).toContain(`PRIVATE_KEY="${APP_PRIVATE_KEY.replace(/\n/g, "\\n")}"\n`);
  });

  it("refuses a value no quoting can hold, naming its key", () => {
    expect(() => formatEnvValue("WEBHOOK_SECRET", `a"b'c\`d`)).toThrow(
      /^WEBHOOK_SECRET holds both kinds of quote and a backtick/,
    );
  });
});

describe("writeEnvSettings", () => {
  it("makes a new file that only its owner can read", () => {
    const path = join(dir, ".env");
    writeEnvSettings(path, { APP_ID: "42", WEBHOOK_SECRET: "s" });
    expect(readFileSync(path, "utf8")).toBe("APP_ID=42\nWEBHOOK_SECRET=s\n");
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("keeps the mode of the file it replaces, and leaves no temporary file behind", () => {
    const path = join(dir, ".env");
    writeFileSync(path, "LOG_LEVEL=debug");
    chmodSync(path, 0o640);
    writeEnvSettings(path, { APP_ID: "42" });
    expect(readFileSync(path, "utf8")).toBe("LOG_LEVEL=debug\nAPP_ID=42\n");
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir)).toEqual([".env"]);
  });

  it("rewrites the file a symbolic link names, and keeps the link", () => {
    const real = join(dir, "stamina.env");
    writeFileSync(real, "# kept elsewhere\n", { mode: 0o600 });
    const link = join(dir, ".env");
    symlinkSync(real, link);
    writeEnvSettings(link, { APP_ID: "42" });
    expect(readFileSync(real, "utf8")).toBe("# kept elsewhere\nAPP_ID=42\n");
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });
});
