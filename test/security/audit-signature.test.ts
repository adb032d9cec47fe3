// The audit log against whoever holds the database: a run signs its chain head
// with the audit key at every commit (a trailer) and when it finishes (the
// log's last event), so a log rewritten with every hash recomputed, cut short,
// or signed with another key fails `stamina audit verify FILE --key PUBLIC`,
// and a good one passes. Real runs (the fake GitHub, the scripted model, real
// git, SQLite), the real CLI command, the real settings.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appendEvent } from "../../src/audit/chain.ts";
import { reassembleJsonl } from "../../src/audit/parts.ts";
import {
  auditSigner,
  checkSignature,
  generateAuditKey,
  parsePublicKey,
} from "../../src/audit/signing.ts";
import type { AuditEvent } from "../../src/audit/types.ts";
import { parseJsonl, toJsonl } from "../../src/audit/verify.ts";
import { auditCommand } from "../../src/cli/audit.ts";
import { readSettings } from "../../src/settings.ts";
import { appKeyPair } from "../support/app-keys.ts";
import { editFile, reply, text, toolUse } from "../support/model-server/index.ts";
import { OWNER, REPO, startHarness, type Harness } from "../support/run-harness.ts";

const FILES = { "a.txt": "one\n", "check.sh": "grep -q two a.txt\n" };
const BRANCH = "stamina/1-make-it-two";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** A run that commits twice (two signed trailers) and finishes. */
async function signedRun(signerPem?: string): Promise<{ harness: Harness; events: AuditEvent[] }> {
  const harness = await startHarness(FILES, {
    ...(signerPem ? { auditSigner: auditSigner(signerPem, "the test's key") } : {}),
  });
  h = harness;
  await harness.model([
    reply(editFile("a.txt", "one", "two")),
    reply(toolUse("checkpoint", { message: "Make a.txt say two" })),
    reply(
      toolUse("str_replace_based_edit_tool", {
        command: "create",
        path: "b.txt",
        file_text: "x\n",
      }),
    ),
    reply(toolUse("checkpoint", { message: "Add b.txt" })),
    reply(text("Changed a.txt and added b.txt.")),
    reply(text("a.txt says two now, and b.txt is new.")),
  ]);
  await harness.queue({ test: "sh check.sh" });
  const finished = await harness.execute(await harness.claim(), {}, { progressIntervalMs: 0 });
  expect(finished.state).toBe("succeeded");
  // The log as anyone reads it off GitHub: the audit check runs' texts put together.
  const texts = harness.github
    .checkRuns(OWNER, REPO)
    .filter((c) => c.name.startsWith("Stamina audit log"))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((c) => c.text ?? "");
  return { harness, events: parseJsonl(reassembleJsonl(texts)) };
}

/** `stamina audit verify FILE ...args` on `events`: its exit code and what it printed. */
async function verifyCli(events: readonly AuditEvent[], ...args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), "stamina-audit-sig-"));
  const file = join(dir, "audit.jsonl");
  writeFileSync(file, toJsonl(events));
  let out = "";
  let err = "";
  const code = await auditCommand(["verify", file, ...args], {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    env: {},
  });
  return { code, out, err };
}

/**
 * What whoever holds the database can do: change events, recompute every hash after, and point
 * each recorded head (a commit's, a signature's) at its new hash.
 */
function rechain(events: readonly AuditEvent[]): AuditEvent[] {
  const renamed = new Map<string, string>();
  let prev: AuditEvent | undefined;
  return events.map((e) => {
    const data = { ...e.data };
    for (const field of ["auditHead", "head"]) {
      const was = data[field];
      if (typeof was === "string" && renamed.has(was)) data[field] = renamed.get(was);
    }
    prev = appendEvent(prev, e.run, { type: e.type, data }, e.ts);
    renamed.set(e.hash, prev.hash);
    return prev;
  });
}

describe("a signed audit log", () => {
  it("carries the key's signature in every commit and at its end, and verifies with the public key", async () => {
    const pem = generateAuditKey();
    const signer = auditSigner(pem, "test");
    const { harness, events } = await signedRun(pem);

    // Each commit's trailers: the head and the key's signature of it.
    const log = harness.git("log", "--format=%B%x00", BRANCH);
    const messages = log.split("\0").filter((m) => m.includes("Stamina-Audit:"));
    expect(messages.length).toBeGreaterThanOrEqual(2);
    const key = parsePublicKey(signer.publicKey);
    for (const message of messages) {
      const head = /^Stamina-Audit: ([0-9a-f]{64})$/m.exec(message)?.[1] ?? "";
      const signature = /^Stamina-Audit-Signature: (\S+)$/m.exec(message)?.[1] ?? "";
      expect(checkSignature(key, head, signature)).toEqual({ ok: true });
      expect(events.some((e) => e.hash === head)).toBe(true);
    }
    expect(events.at(-1)?.type).toBe("audit.signed");
    expect(events.at(-2)?.type).toBe("run.finished");

    const good = await verifyCli(events, "--key", signer.publicKey);
    expect(good).toMatchObject({ code: 0, err: "" });
    expect(good.out).toMatch(
      new RegExp(
        `^ok: ${events.length} events, head [0-9a-f]{64}, 3 signatures by audit key ${signer.keyId}\\n$`,
      ),
    );
    const body = harness.github.pulls(OWNER, REPO)[0]?.body ?? "";
    expect(body).toContain(`**Signed** with audit key \`${signer.keyId}\``);
    const summary = harness.github
      .checkRuns(OWNER, REPO)
      .find((c) => c.name === "Stamina audit log");
    expect(summary?.summary).toContain(`signed with audit key \`${signer.keyId}\``);

    // A log rewritten by the database's holder: the chain is whole again, the signatures are not.
    const command = events.findIndex((e) => e.type === "command");
    const edited = events.map((e, i) =>
      i === command ? { ...e, data: { ...e.data, exitCode: 0, command: "true" } } : e,
    );
    const rewritten = rechain(edited);
    expect((await verifyCli(rewritten)).code).toBe(0); // without the key, the rewrite passes
    const caught = await verifyCli(rewritten, "--key", signer.publicKey);
    expect(caught.code).toBe(1);
    expect(caught.err).toMatch(
      /^invalid: event \d+: the signature of the head at event \d+ does not match: the events up to event \d+ were changed after they were signed\n$/,
    );

    // Cut short: the last events dropped (the run's end and its signature).
    const cut = await verifyCli(events.slice(0, -3), "--key", signer.publicKey);
    expect(cut.code).toBe(1);
    expect(cut.err).toContain(`invalid: the log is signed up to event`);
    expect(cut.err).toContain("the events after it carry no signature");

    // Every signature stripped and the chain recomputed.
    const stripped = rechain(
      events
        .filter((e) => e.type !== "audit.signed")
        .map((e) => {
          const { auditSignature: _dropped, ...data } = e.data;
          return { ...e, data };
        }),
    );
    const unsigned = await verifyCli(stripped, "--key", signer.publicKey);
    expect(unsigned.code).toBe(1);
    expect(unsigned.err).toContain("invalid: the log carries no signature");

    // Checked against another deployment's key.
    const other = auditSigner(generateAuditKey(), "other");
    const foreign = await verifyCli(events, "--key", other.publicKey);
    expect(foreign.code).toBe(1);
    expect(foreign.err).toContain(
      `is signed with audit key ${signer.keyId}, not with the key given (${other.keyId})`,
    );
  }, 60_000);

  it("without a key: the run works, and its pull request and check say the log is not signed", async () => {
    const { harness, events } = await signedRun();
    expect(events.at(-1)?.type).toBe("run.finished");
    expect(harness.git("log", "-1", "--format=%B", BRANCH)).not.toContain("Signature");
    const body = harness.github.pulls(OWNER, REPO)[0]?.body ?? "";
    expect(body).toContain("⚠️ **Not signed**");
    expect(body).toContain("STAMINA_AUDIT_KEY_PATH");
    const summary = harness.github
      .checkRuns(OWNER, REPO)
      .find((c) => c.name === "Stamina audit log");
    expect(summary?.summary).toContain("not signed: no audit key is set");
    const checked = await verifyCli(
      events,
      "--key",
      auditSigner(generateAuditKey(), "k").publicKey,
    );
    expect(checked.code).toBe(1);
    expect(checked.err).toContain("the log carries no signature");
  }, 60_000);
});

describe("the audit key's settings and command", () => {
  const dir = mkdtempSync(join(tmpdir(), "stamina-audit-key-"));
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it("reads a key file, keeps it from the sandbox, and stops the start on a bad one with the setting named", () => {
    const pem = generateAuditKey();
    const path = file("good.pem", pem);
    const settings = readSettings({ STAMINA_AUDIT_KEY_PATH: path });
    expect(settings.auditKey?.signer.publicKey).toBe(auditSigner(pem, "x").publicKey);
    expect(settings.sandbox.protectedPaths).toContain(path);
    // Inline, with the \n escapes a one-line .env value has.
    const inline = readSettings({ STAMINA_AUDIT_KEY: pem.replace(/\n/g, "\\n") });
    expect(inline.auditKey?.signer.keyId).toBe(settings.auditKey?.signer.keyId);

    expect(() => readSettings({ STAMINA_AUDIT_KEY_PATH: file("junk.pem", "not a key") })).toThrow(
      /^STAMINA_AUDIT_KEY_PATH \(.*junk\.pem\): not a PEM private key\. The audit key is an Ed25519 private key in PEM; make one with `stamina audit key --generate FILE`/,
    );
    expect(() =>
      readSettings({ STAMINA_AUDIT_KEY_PATH: file("rsa.pem", appKeyPair().privateKey) }),
    ).toThrow(/this is an RSA key; the audit key must be Ed25519 \(not the GitHub App's key\)/);
    expect(() => readSettings({ STAMINA_AUDIT_KEY: "-----BEGIN PRIVATE KEY-----" })).toThrow(
      /^STAMINA_AUDIT_KEY: not a PEM private key/,
    );
    expect(() => readSettings({ STAMINA_AUDIT_KEY_PATH: join(dir, "missing.pem") })).toThrow(
      /^STAMINA_AUDIT_KEY_PATH: cannot read/,
    );
  });

  it("`stamina audit key` makes a key readable by its owner only and prints its public half", () => {
    const path = join(dir, "made.pem");
    const cli = (env: Record<string, string>, ...args: string[]) =>
      execFileSync(process.execPath, ["--import", "tsx", "src/main.ts", "audit", ...args], {
        encoding: "utf8",
        env: { PATH: process.env.PATH, STAMINA_DATA_DIR: join(dir, "data"), ...env },
      });
    const made = cli({}, "key", "--generate", path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const publicKey = auditSigner(readFileSync(path, "utf8"), "made").publicKey;
    expect(made).toContain(`STAMINA_AUDIT_KEY_PATH=${path}`);
    expect(made.trim().split("\n").at(-1)).toBe(publicKey);
    expect(cli({ STAMINA_AUDIT_KEY_PATH: path }, "key")).toBe(`${publicKey}\n`);
    expect(() => cli({}, "key", "--generate", path)).toThrow(/exists already/);
    expect(() => cli({}, "key")).toThrow(/no audit key is set/);
    expect(cli({}, "verify", "--help")).toContain("stamina audit verify FILE");
  }, 60_000);
});
