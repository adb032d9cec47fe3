// `stamina audit verify FILE [--head HASH] [--key PUBLIC]`, `stamina audit key [--generate FILE]`
// and `stamina audit export RUN_ID [FILE]`.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import {
  AuditKeyError,
  auditSigner,
  generateAuditKey,
  parsePublicKey,
  signedBy,
} from "../audit/signing.ts";
import type { AuditPublicKey } from "../audit/signing.ts";
import {
  AuditLogParseError,
  parseJsonl,
  toJsonl,
  verifyChain,
  verifySignatures,
} from "../audit/verify.ts";
import type { AuditEvent } from "../audit/types.ts";
import { createRedactor } from "../observability/redact.ts";
import { openStore } from "../store/open.ts";
import { readSettings, SettingsError } from "../settings.ts";
import type { Out } from "./console.ts";

type Io = { out: Out; err: Out; env: NodeJS.ProcessEnv };

export const AUDIT_USAGE = `usage:
  stamina audit verify FILE [--head HASH] [--key PUBLIC]
      check an audit log's hash chain; with --key, its signatures too (PUBLIC is the
      \`ed25519:…\` line \`stamina audit key\` prints, or a file holding it or a PEM public key);
      with --head, that it reaches a head published earlier (a commit's Stamina-Audit trailer)
  stamina audit key [--generate FILE]
      print the public half of the audit key (STAMINA_AUDIT_KEY or STAMINA_AUDIT_KEY_PATH);
      with --generate, write a new Ed25519 audit key to FILE first
  stamina audit export RUN_ID [FILE]
      write a run's audit log as JSONL (stdout without FILE)
`;

export async function auditCommand(args: string[], io: Io): Promise<number> {
  const [sub, target, out] = args;
  if (args.includes("--help") || args.includes("-h")) {
    io.out.write(AUDIT_USAGE);
    return 0;
  }
  if (sub === "verify" && target) return verify(target, args, io);
  if (sub === "key") return key(args, io);
  if (sub === "export" && target) {
    const settings = readSettings(io.env);
    const store = await openStore({ database: settings.database, redactor: createRedactor() });
    try {
      const events = await store.audit.events(target);
      if (events.length === 0) {
        const where = settings.database.engine === "sqlite" ? settings.database.path : "PostgreSQL";
        io.err.write(`no audit events for run ${target} in ${where}\n`);
        return 1;
      }
      if (out) await writeFile(out, toJsonl(events));
      else io.out.write(toJsonl(events));
      return 0;
    } finally {
      await store.close();
    }
  }
  io.err.write(AUDIT_USAGE);
  return 2;
}

/** The value after `flag`, undefined when absent, null when the flag has no value. */
function option(args: string[], flag: string): string | null | undefined {
  const at = args.indexOf(flag);
  if (at === -1) return undefined;
  const value = args[at + 1];
  return value === undefined || value.startsWith("--") ? null : value;
}

async function verify(file: string, args: string[], io: Io): Promise<number> {
  // `--head HASH`: a head published earlier (a commit's Stamina-Audit trailer) the log must reach.
  const expectedHead = option(args, "--head");
  if (expectedHead !== undefined && !/^[0-9a-f]{64}$/.test(expectedHead ?? "")) {
    io.err.write("usage: stamina audit verify FILE [--head HASH]: HASH is 64 hex digits\n");
    return 2;
  }
  const keyText = option(args, "--key");
  if (keyText === null) {
    io.err.write("usage: stamina audit verify FILE --key PUBLIC\n");
    return 2;
  }
  let publicKey: AuditPublicKey | undefined;
  if (keyText !== undefined) {
    try {
      publicKey = parsePublicKey(await readKeyArgument(keyText));
    } catch (error) {
      if (!(error instanceof AuditKeyError)) throw error;
      io.err.write(`--key: ${error.message}\n`);
      return 2;
    }
  }
  let events: AuditEvent[];
  try {
    events = parseJsonl(await readFile(file, "utf8"));
  } catch (error) {
    if (!(error instanceof AuditLogParseError)) throw error;
    io.err.write(`invalid: ${error.message}\n`);
    return 1;
  }
  const result = verifyChain(events, { expectedHead: expectedHead ?? undefined });
  if (!result.ok) {
    io.err.write(`invalid: ${result.reason}\n`);
    return 1;
  }
  if (publicKey !== undefined) {
    const signed = verifySignatures(events, publicKey);
    if (!signed.ok) {
      io.err.write(`invalid: ${signed.reason}\n`);
      return 1;
    }
    io.out.write(
      `ok: ${result.count} events, head ${result.head}, ${signed.signatures} signature${signed.signatures === 1 ? "" : "s"} by audit key ${signed.keyId}\n`,
    );
    return 0;
  }
  io.out.write(`ok: ${result.count} events, head ${result.head}\n`);
  if (signedBy(events) !== null) {
    io.out.write(
      "note: the log is signed; check its signatures with --key PUBLIC (the deployment's `stamina audit key`), or a rewritten log passes as well.\n",
    );
  } else if (events.at(-1)?.type !== "run.finished" && expectedHead === undefined) {
    io.out.write(
      "note: the log does not end with run.finished: the run was still going, or the log was cut short. Check it against a published head (a commit's Stamina-Audit trailer) with --head HASH.\n",
    );
  }
  return 0;
}

/** `--key` takes the key itself or a file holding it. */
async function readKeyArgument(value: string): Promise<string> {
  if (value.startsWith("ed25519:") || value.includes("-----BEGIN")) return value;
  if (!existsSync(value)) {
    throw new AuditKeyError(
      `${value} is neither a public key (ed25519:…) nor a file that holds one`,
    );
  }
  return readFile(value, "utf8");
}

async function key(args: string[], io: Io): Promise<number> {
  const generate = option(args, "--generate");
  if (generate === null) {
    io.err.write("usage: stamina audit key --generate FILE\n");
    return 2;
  }
  if (generate !== undefined) {
    const pem = generateAuditKey();
    try {
      await writeFile(generate, pem, { mode: 0o600, flag: "wx" });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      io.err.write(`${generate} exists already; Stamina does not overwrite a key\n`);
      return 1;
    }
    io.out.write(
      `Wrote a new audit key to ${generate} (readable by you only). Set STAMINA_AUDIT_KEY_PATH=${generate} where Stamina runs, keep the file away from the database and its backups, and publish the public key:\n${auditSigner(pem, generate).publicKey}\n`,
    );
    return 0;
  }
  let settings;
  try {
    settings = readSettings(io.env);
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    io.err.write(`${error.message}\n`);
    return 1;
  }
  if (settings.auditKey === undefined) {
    io.err.write(
      "no audit key is set (STAMINA_AUDIT_KEY or STAMINA_AUDIT_KEY_PATH): make one with `stamina audit key --generate FILE`\n",
    );
    return 1;
  }
  io.out.write(`${settings.auditKey.signer.publicKey}\n`);
  return 0;
}
