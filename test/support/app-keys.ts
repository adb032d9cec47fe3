// A GitHub App key pair for tests: the private key the app signs its JWTs
// with, and the public key the fake GitHub checks them against.
import { generateKeyPairSync } from "node:crypto";

export interface AppKeyPair {
  privateKey: string;
  publicKey: string;
}

export function appKeyPair(): AppKeyPair {
  return generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
}
