// The run pages' cookies: sealed so that only this app can read them and nobody can forge or
// change one. AES-256-GCM (encrypted and authenticated: the session holds the viewer's GitHub
// token, which must never travel readable) under a key derived with HKDF-SHA256 from a secret
// the app already holds, the webhook secret; the cookie's name is the additional data, so a
// sealed value cannot be moved from one cookie to another. Changing the webhook secret signs
// everyone out, which is what rotating a secret should do.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealer {
  /** `value` as JSON, encrypted and authenticated for the cookie `name`, in base64url. */
  seal(name: string, value: unknown): string;
  /** The value sealed for `name`, or undefined for anything this app did not seal so. */
  open(name: string, sealed: string): unknown;
}

export function cookieSealer(secret: string): Sealer {
  if (secret === "") throw new Error("the run pages' cookies need a secret to derive their key");
  const key = Buffer.from(hkdfSync("sha256", secret, "stamina run pages", "cookie seal v1", 32));
  return {
    seal(name, value) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      cipher.setAAD(Buffer.from(name, "utf8"));
      const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
      return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
    },
    open(name, sealed) {
      const raw = Buffer.from(sealed, "base64url");
      if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
      const decipher = createDecipheriv("aes-256-gcm", key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      decipher.setAAD(Buffer.from(name, "utf8"));
      let text: string;
      try {
        text = Buffer.concat([
          decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString("utf8");
      } catch {
        return undefined; // changed, forged or sealed under another key: not ours
      }
      return JSON.parse(text) as unknown; // we sealed it, so it is our JSON
    },
  };
}

/** The request's cookies by name (the first of a repeated name, as browsers send the most specific first). */
export function readCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    const name = part.slice(0, at).trim();
    if (name !== "" && !cookies.has(name)) cookies.set(name, part.slice(at + 1).trim());
  }
  return cookies;
}

export interface CookieOptions {
  path: string;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  /** Only over https: set when the pages' public address is https. */
  secure: boolean;
}

/** A Set-Cookie value: HttpOnly (no script reads it) and SameSite=Lax (no other site's form sends it). */
export function setCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAge))}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}
