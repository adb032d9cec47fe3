// Credentials as GitHub checks them: the App JWT (RS256, iss, iat/exp with GitHub's skew rules
// and messages) and installation tokens (`ghs_…`, expiring on the injected clock).
import { createPublicKey, randomInt, verify, type KeyObject } from "node:crypto";
import { HttpError } from "./http-io.ts";

/** `kind` doubles as the recorded AuthorizationKind. */
export type Credentials =
  | { kind: "none" }
  | { kind: "jwt"; jwt: string }
  | { kind: "token"; token: string }
  | { kind: "basic"; user: string; password: string };

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

export function parseAuthorization(header: string | undefined): Credentials {
  const match = /^(\w+)\s+(\S+)\s*$/.exec(header ?? "");
  const scheme = match?.[1]?.toLowerCase();
  const value = match?.[2];
  if (!value) return { kind: "none" };
  if (scheme === "bearer") {
    return JWT_SHAPE.test(value) ? { kind: "jwt", jwt: value } : { kind: "token", token: value };
  }
  if (scheme === "token") return { kind: "token", token: value };
  if (scheme === "basic") {
    const decoded = Buffer.from(value, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return { kind: "none" };
    return { kind: "basic", user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return { kind: "none" };
}

/** GitHub's wording matters: @octokit/auth-app retries with a clock correction on these. */
const MESSAGES = {
  undecodable: "A JSON web token could not be decoded",
  expired:
    "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  tooFar: "'Expiration time' claim ('exp') is too far in the future",
  iat: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
  issuer: "'Issuer' claim ('iss') must be an Integer",
  unknownApp: "Integration not found",
} as const;

const SKEW_SECONDS = 60;
const MAX_LIFETIME_SECONDS = 600;

const jwtRefusal = (message: string): HttpError =>
  new HttpError(401, {
    message,
    documentation_url: "https://docs.github.com/enterprise-server@3.19/rest",
    status: "401",
  });

interface JwtClaims {
  iat?: unknown;
  exp?: unknown;
  iss?: unknown;
}

function decodeJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
}

export class AppJwtVerifier {
  private readonly key: KeyObject;

  constructor(
    private readonly appId: number,
    publicKeyPem: string,
    private readonly now: () => number,
  ) {
    this.key = createPublicKey(publicKeyPem);
  }

  /** Throws the refusal GitHub would send; returns normally for a good JWT. */
  verify(jwt: string): void {
    const [headerPart, payloadPart, signaturePart] = jwt.split(".");
    if (headerPart === undefined || payloadPart === undefined || signaturePart === undefined) {
      throw jwtRefusal(MESSAGES.undecodable);
    }
    let header: unknown;
    let claims: unknown;
    try {
      header = decodeJson(headerPart);
      claims = decodeJson(payloadPart);
    } catch {
      throw jwtRefusal(MESSAGES.undecodable);
    }
    if (!isRecord(header) || header.alg !== "RS256" || !isRecord(claims)) {
      throw jwtRefusal(MESSAGES.undecodable);
    }
    const signed = Buffer.from(`${headerPart}.${payloadPart}`);
    const signature = Buffer.from(signaturePart, "base64url");
    if (!verify("RSA-SHA256", signed, this.key, signature)) throw jwtRefusal(MESSAGES.undecodable);
    this.checkClaims(claims);
  }

  private checkClaims({ iat, exp, iss }: JwtClaims): void {
    const issuer = typeof iss === "string" && /^\d+$/.test(iss) ? Number(iss) : iss;
    if (typeof issuer !== "number" || !Number.isInteger(issuer)) throw jwtRefusal(MESSAGES.issuer);
    if (issuer !== this.appId) throw jwtRefusal(MESSAGES.unknownApp);
    const nowSeconds = Math.floor(this.now() / 1000);
    if (typeof iat !== "number" || !Number.isInteger(iat) || iat > nowSeconds + SKEW_SECONDS) {
      throw jwtRefusal(MESSAGES.iat);
    }
    if (typeof exp !== "number" || exp <= nowSeconds) throw jwtRefusal(MESSAGES.expired);
    if (exp > nowSeconds + MAX_LIFETIME_SECONDS + SKEW_SECONDS) throw jwtRefusal(MESSAGES.tooFar);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `ghs_` and 36 random alphanumerics, the shape of a GitHub installation token. */
export function newInstallationToken(): string {
  let token = "ghs_";
  for (let i = 0; i < 36; i++) token += ALNUM[randomInt(ALNUM.length)];
  return token;
}
