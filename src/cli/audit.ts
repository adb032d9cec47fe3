// `stamina audit verify FILE` and `stamina audit export RUN_ID [FILE]`.
import { readFile, writeFile } from "node:fs/promises";
import { AuditLogParseError, parseJsonl, toJsonl, verifyChain } from "../audit/verify.ts";
import { createRedactor } from "../observability/redact.ts";
import { openStore } from "../store/open.ts";
import { readSettings } from "../settings.ts";
import type { Out } from "./console.ts";

export async function auditCommand(
  args: string[],
  io: { out: Out; err: Out; env: NodeJS.ProcessEnv },
): Promise<number> {
  const [sub, target, out] = args;
  if (sub === "verify" && target) {
    // `--head HASH`: a head published earlier (a commit's Stamina-Audit trailer) the log must reach.
    const headAt = args.indexOf("--head");
    const expectedHead = headAt === -1 ? undefined : args[headAt + 1];
    if (headAt !== -1 && !/^[0-9a-f]{64}$/.test(expectedHead ?? "")) {
      io.err.write("usage: stamina audit verify FILE [--head HASH]: HASH is 64 hex digits\n");
      return 2;
    }
    let events;
    try {
      events = parseJsonl(await readFile(target, "utf8"));
    } catch (error) {
      if (!(error instanceof AuditLogParseError)) throw error;
      io.err.write(`invalid: ${error.message}\n`);
      return 1;
    }
    const result = verifyChain(events, { expectedHead });
    if (result.ok) {
      io.out.write(`ok: ${result.count} events, head ${result.head}\n`);
      if (events.at(-1)?.type !== "run.finished" && expectedHead === undefined) {
        io.out.write(
          "note: the log does not end with run.finished: the run was still going, or the log was cut short. Check it against a published head (a commit's Stamina-Audit trailer) with --head HASH.\n",
        );
      }
      return 0;
    }
    io.err.write(`invalid: ${result.reason}\n`);
    return 1;
  }
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
  io.err.write(`usage: stamina audit verify FILE [--head HASH] | audit export RUN_ID [FILE]\n`);
  return 2;
}
