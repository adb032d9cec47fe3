// The users a bubblewrap sandbox knows: a synthetic /etc/passwd and
// /etc/group (root, the sandbox user `stamina`, nobody) written once per
// sandbox, so commands see who they are without the host's account list, and
// no shadow file exists inside at all.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The uid and gid commands have inside the sandbox (mapped to the harness's own on the host). */
export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;

export interface SandboxUserFiles {
  passwd: string;
  group: string;
}

const folders: string[] = [];
let cleanupRegistered = false;

/** Writes the two files into a folder of this process's own, removed when the process exits. */
export function writeSandboxUsers(): SandboxUserFiles {
  const dir = mkdtempSync(join(tmpdir(), "stamina-users-"));
  folders.push(dir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.once("exit", () => {
      for (const folder of folders) rmSync(folder, { recursive: true, force: true });
    });
  }
  const passwd = join(dir, "passwd");
  const group = join(dir, "group");
  writeFileSync(
    passwd,
    [
      "root:x:0:0:root:/root:/usr/sbin/nologin",
      `stamina:x:${SANDBOX_UID}:${SANDBOX_GID}:Stamina sandbox:/home/stamina:/bin/bash`,
      "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
      "",
    ].join("\n"),
    { mode: 0o644 },
  );
  writeFileSync(
    group,
    ["root:x:0:", `stamina:x:${SANDBOX_GID}:`, "nogroup:x:65534:", ""].join("\n"),
    { mode: 0o644 },
  );
  return { passwd, group };
}
