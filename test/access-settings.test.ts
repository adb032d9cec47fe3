// The run pages' access settings: the app's OAuth client, both halves or neither, and
// STAMINA_PUBLIC_URL, an http(s) address kept without its trailing slash.
import { describe, expect, it } from "vitest";
import { readSettings, SettingsError } from "../src/settings.ts";

describe("GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET", () => {
  it("turn sign-in with GitHub on together, and leave it off together", () => {
    expect(readSettings({}).access.oauthClient).toBeUndefined();
    expect(
      readSettings({ GITHUB_CLIENT_ID: "Iv1.abc", GITHUB_CLIENT_SECRET: "s3cret" }).access
        .oauthClient,
    ).toEqual({ id: "Iv1.abc", secret: "s3cret" });
  });

  it("name the half that is missing when only one is set", () => {
    const read = () => readSettings({ GITHUB_CLIENT_ID: "Iv1.abc" });
    expect(read).toThrow(SettingsError);
    expect(read).toThrow(
      /^GITHUB_CLIENT_SECRET: GITHUB_CLIENT_ID is set but GITHUB_CLIENT_SECRET is not/,
    );
    expect(() => readSettings({ GITHUB_CLIENT_SECRET: "s3cret" })).toThrow(
      /^GITHUB_CLIENT_ID: GITHUB_CLIENT_SECRET is set but GITHUB_CLIENT_ID is not/,
    );
  });
});

describe("STAMINA_PUBLIC_URL", () => {
  it("is kept without its trailing slash, and unset when not given", () => {
    expect(readSettings({}).access.publicUrl).toBeUndefined();
    expect(
      readSettings({ STAMINA_PUBLIC_URL: "https://stamina.example.com/" }).access.publicUrl,
    ).toBe("https://stamina.example.com");
  });

  it("refuses what is not an http(s) address, and says what it must be", () => {
    for (const value of ["stamina.example.com", "ftp://stamina.example.com"]) {
      const read = () => readSettings({ STAMINA_PUBLIC_URL: value });
      expect(read).toThrow(SettingsError);
      expect(read).toThrow(
        /STAMINA_PUBLIC_URL: must be the http\(s\) address people reach Stamina at/,
      );
    }
  });
});
