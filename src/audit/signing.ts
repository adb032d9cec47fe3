// The audit key: an Ed25519 key the database never holds. The app signs each
// run's chain head with it at every checkpoint (a commit trailer) and when a
// run finishes (an `audit.signed` event), so whoever can write the database
// can rewrite or cut a log, recompute every hash, and still not make the
// signatures match: `stamina audit verify FILE --key PUBLIC` catches it.
//
// Text forms, one line each so they fit a trailer, a setting and a shell:
//   public key   ed25519:<the raw 32-byte key, base64url>
//   signature    ed25519:<key id>:<the 64-byte signature, base64url>
// The key id is the first 16 hex digits of sha256 of the raw public key: it
// tells "signed by another key" apart from "signed, then rewritten".
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from "node:crypto";
import type { AuditEvent } from "./types.ts";

/** The event that closes a finished run's log with a signature of the head before it. */
export const SIGNED_EVENT = "audit.signed";

export interface AuditSigner {
  /** 16 hex digits naming the key. */
  keyId: string;
  /** `ed25519:…`, what `stamina audit key` prints and `audit verify --key` takes. */
  publicKey: string;
  /** The signature of a chain head (64 hex digits), in its text form. */
  readonly sign: (head: string) => string;
}

export interface AuditPublicKey {
  keyId: string;
  key: KeyObject;
}

export class AuditKeyError extends Error {
  override name = "AuditKeyError";
}

const PUBLIC_PREFIX = "ed25519:";
const HOW_TO_MAKE =
  "make one with `stamina audit key --generate FILE` (or `openssl genpkey -algorithm ed25519 -out FILE`)";

/** What is signed: the head with a fixed context, so the signature means nothing elsewhere. */
function message(head: string): Buffer {
  return Buffer.from(`stamina audit head v1 ${head}`, "utf8");
}

function rawPublic(key: KeyObject): Buffer {
  const jwk = key.export({ format: "jwk" });
  return Buffer.from(jwk.x ?? "", "base64url");
}

function keyIdOf(raw: Buffer): string {
  return createHash("sha256").update(raw).digest("hex").slice(0, 16);
}

/**
 * The signer of a PEM private key (PKCS#8, as `openssl genpkey -algorithm ed25519` writes);
 * `setting` names where it came from, for the error a maintainer reads.
 */
export function auditSigner(pem: string, setting: string): AuditSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    throw new AuditKeyError(
      `${setting}: not a PEM private key. The audit key is an Ed25519 private key in PEM; ${HOW_TO_MAKE}.`,
    );
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new AuditKeyError(
      `${setting}: this is a${key.asymmetricKeyType === "rsa" ? "n RSA" : ` ${key.asymmetricKeyType ?? "n unknown"}`} key; the audit key must be Ed25519 (not the GitHub App's key); ${HOW_TO_MAKE}.`,
    );
  }
  const raw = rawPublic(createPublicKey(key));
  const keyId = keyIdOf(raw);
  return {
    keyId,
    publicKey: PUBLIC_PREFIX + raw.toString("base64url"),
    sign: (head) =>
      `${PUBLIC_PREFIX}${keyId}:${sign(null, message(head), key).toString("base64url")}`,
  };
}

/** A new audit key, PEM (PKCS#8). */
export function generateAuditKey(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  return privateKey.export({ format: "pem", type: "pkcs8" }).toString();
}

/** `ed25519:…` or a PEM public key (SPKI), as given to `audit verify --key`. */
export function parsePublicKey(text: string): AuditPublicKey {
  const trimmed = text.trim();
  let key: KeyObject;
  try {
    if (trimmed.startsWith(PUBLIC_PREFIX)) {
      const x = trimmed.slice(PUBLIC_PREFIX.length);
      if (!/^[A-Za-z0-9_-]{43}$/.test(x)) throw new Error("not 32 bytes");
      key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    } else {
      key = createPublicKey(trimmed);
    }
  } catch {
    throw new AuditKeyError(
      "the public key is neither `ed25519:…` (as `stamina audit key` prints it) nor a PEM public key",
    );
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new AuditKeyError(`the public key is ${key.asymmetricKeyType ?? "unknown"}, not Ed25519`);
  }
  return { keyId: keyIdOf(rawPublic(key)), key };
}

/** A signature's text form: `ed25519:<key id>:<64 bytes, base64url>`. */
const SIGNATURE = /^ed25519:([0-9a-f]{16}):([A-Za-z0-9_-]{86})$/;

export type SignatureCheck =
  { ok: true } | { ok: false; reason: "malformed" | "other-key" | "mismatch"; keyId?: string };

/** Whether `signature` (its text form) is `key`'s signature of `head`. */
export function checkSignature(
  key: AuditPublicKey,
  head: string,
  signature: string,
): SignatureCheck {
  const match = SIGNATURE.exec(signature);
  if (match === null) return { ok: false, reason: "malformed" };
  const [, keyId = "", value = ""] = match;
  if (keyId !== key.keyId) return { ok: false, reason: "other-key", keyId };
  const good = verify(null, message(head), key.key, Buffer.from(value, "base64url"));
  return good ? { ok: true } : { ok: false, reason: "mismatch", keyId };
}

/**
 * The signature an event carries, and the head it signs: an `audit.signed` event's, or a
 * commit's (`git.commit` with `auditSignature`). Null for an event that carries none.
 */
export function signatureIn(event: AuditEvent): { head: string; signature: string } | null {
  const d = event.data;
  if (event.type === SIGNED_EVENT && typeof d.head === "string") {
    return { head: d.head, signature: typeof d.signature === "string" ? d.signature : "" };
  }
  if (typeof d.auditSignature === "string" && typeof d.auditHead === "string") {
    return { head: d.auditHead, signature: d.auditSignature };
  }
  return null;
}

/** The key id of the latest signature a log carries, or null for a log never signed. */
export function signedBy(events: readonly AuditEvent[]): string | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const found = events[i] === undefined ? null : signatureIn(events[i]!);
    const keyId = SIGNATURE.exec(found?.signature ?? "")?.[1];
    if (keyId !== undefined) return keyId;
  }
  return null;
}
