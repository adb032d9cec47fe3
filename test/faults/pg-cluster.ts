// A throwaway PostgreSQL cluster the fault suite can restart under a running worker, never the
// shared server on 5432: made with `initdb` under a temporary directory and run with `pg_ctl` as
// the `postgres` user (initdb refuses root), on a free port, its socket in its own directory.
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../support/free-port.ts";

export interface Cluster {
  url: string;
  /** `pg_ctl restart -m fast`: every connection is cut, and the server answers again. */
  restart(): void;
  stop(): void;
}

/** The directory of the newest installed PostgreSQL's programs, or undefined. */
function postgresBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  const bin = versions.map((v) => join(root, v, "bin")).find((b) => existsSync(join(b, "initdb")));
  return bin;
}

/** Why a throwaway cluster cannot be made here, or undefined when it can. */
export function clusterUnavailable(): string | undefined {
  if (postgresBin() === undefined) return "no PostgreSQL server programs under /usr/lib/postgresql";
  if (process.getuid?.() !== 0) return "making a cluster as the postgres user needs root";
  try {
    execFileSync("id", ["postgres"], { stdio: "ignore" });
  } catch {
    return "no postgres user";
  }
  return undefined;
}

export async function startCluster(): Promise<Cluster> {
  const bin = postgresBin();
  if (bin === undefined) throw new Error("no PostgreSQL server programs under /usr/lib/postgresql");
  const root = mkdtempSync(join(tmpdir(), "stamina-faults-pg-"));
  chmodSync(root, 0o755);
  const { uid, gid } = userIds("postgres");
  chownSync(root, uid, gid);
  const data = join(root, "data");
  const port = await freePort();
  const asPostgres = (command: string) =>
    execFileSync("su", ["postgres", "-s", "/bin/sh", "-c", command], { stdio: "pipe" });
  asPostgres(`${bin}/initdb -D ${data} -A trust -U postgres --no-sync >/dev/null`);
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const ctl = (action: string) =>
    asPostgres(`${bin}/pg_ctl -D ${data} -o "${options}" -l ${root}/log -w ${action} >/dev/null`);
  ctl("start");
  asPostgres(`${bin}/createdb -h 127.0.0.1 -p ${port} -U postgres stamina`);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/stamina`,
    restart: () => ctl("-m fast restart"),
    stop() {
      try {
        ctl("-m immediate stop");
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  };
}

function userIds(name: string): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(execFileSync("id", [flag, name], { encoding: "utf8" }).trim());
  return { uid: id("-u"), gid: id("-g") };
}
