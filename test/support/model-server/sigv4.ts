// Checks an AWS Signature Version 4 the way AWS does: rebuilds the canonical request from what
// arrived, signs it with the secret the fake knows, and compares. Written from AWS's published
// algorithm, not from the SDK's signer, so the two can disagree the way a real service would.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Call } from "./engine.ts";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface SigV4Check {
  region: string;
  service: string;
  credentials: AwsCredentials;
  now: Date;
}

/** What AWS answers instead; `undefined` when the signature holds. */
export interface SigV4Failure {
  status: number;
  type: string;
  message: string;
}

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 15 * 60_000;

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const hmac = (key: string | Buffer, data: string) =>
  createHmac("sha256", key).update(data).digest();

/** RFC 3986 unreserved characters stay; everything else is %XX, as SigV4 asks. */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Each segment of the path as sent, encoded once more: SigV4's canonical URI for all but S3. */
function canonicalUri(path: string): string {
  return path.split("/").map(uriEncode).join("/");
}

function canonicalQuery(query: string): string {
  const params = new URLSearchParams(query);
  return [...params.entries()]
    .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
    .sort()
    .join("&");
}

/** `20261122T141926Z` as a Date. */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, ...number[]];
  return new Date(Date.UTC(y!, mo! - 1, d, h, mi, s));
}

const denied = (type: string, message: string): SigV4Failure => ({ status: 403, type, message });

export function checkSigV4(call: Call, check: SigV4Check): SigV4Failure | undefined {
  const authorization = call.headers.authorization;
  if (!authorization)
    return denied("MissingAuthenticationTokenException", "Missing Authentication Token");
  const m = AUTH.exec(authorization);
  if (!m)
    return denied(
      "IncompleteSignatureException",
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${authorization.split(" ")[0]}`,
    );
  const [, keyId, day, region, service, signedHeaders, signature] = m as unknown as string[];
  if (keyId !== check.credentials.accessKeyId) {
    return denied(
      "UnrecognizedClientException",
      "The security token included in the request is invalid.",
    );
  }
  if (region !== check.region) {
    return denied("InvalidSignatureException", `Credential should be scoped to a valid region. `);
  }
  if (service !== check.service) {
    return denied(
      "InvalidSignatureException",
      `Credential should be scoped to correct service: '${check.service}'. `,
    );
  }
  const amzDate = call.headers["x-amz-date"] ?? "";
  const signedAt = parseAmzDate(amzDate);
  if (signedAt === undefined || !amzDate.startsWith(day!)) {
    return denied("IncompleteSignatureException", "Date must be in ISO-8601 'basic format'.");
  }
  if (Math.abs(check.now.getTime() - signedAt.getTime()) > MAX_SKEW_MS) {
    return denied(
      "InvalidSignatureException",
      `Signature expired: ${amzDate} is now earlier or later than 15 minutes from the time of the request.`,
    );
  }
  const names = signedHeaders!.split(";");
  if (!names.includes("host") || !names.includes("x-amz-date")) {
    return denied("InvalidSignatureException", "'Host' and 'X-Amz-Date' must be signed.");
  }
  if (check.credentials.sessionToken !== undefined) {
    const token = call.headers["x-amz-security-token"];
    if (token !== check.credentials.sessionToken) {
      return denied(
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
      );
    }
  }
  const bodyHash = sha256(call.raw);
  const claimed = call.headers["x-amz-content-sha256"];
  if (claimed !== undefined && claimed !== bodyHash) {
    return {
      status: 400,
      type: "XAmzContentSHA256Mismatch",
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    };
  }
  const [path = "/", query = ""] = call.path.split("?");
  const canonical = [
    call.method,
    canonicalUri(path),
    canonicalQuery(query),
    ...names.map((n) => `${n}:${(call.headers[n] ?? "").trim().replace(/\s+/g, " ")}`),
    "",
    signedHeaders,
    claimed ?? bodyHash,
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  let key = hmac(`AWS4${check.credentials.secretAccessKey}`, day!);
  for (const part of [region, service, "aws4_request"]) key = hmac(key, part);
  const expected = Buffer.from(createHmac("sha256", key).update(toSign).digest("hex"));
  const given = Buffer.from(signature!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return denied(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
  }
  return undefined;
}
