// GitHub's signed commit rebuilt from its API answer: the bytes git stores, so a worktree can
// write it itself instead of fetching it. Checked against a commit git signs with a real key.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { storedObject } from "../../src/github/git-data.ts";
import { machineNeed, programMissing } from "../support/machine.ts";

const dir = mkdtempSync(join(tmpdir(), "stored-object-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, GIT_CONFIG_NOSYSTEM: "1" };
const git = (...args: string[]) =>
  execFileSync("git", args, { cwd: dir, env, encoding: "utf8" }).replace(/\n$/, "");

/** A commit signed by git with an SSH key, and its payload and signature as GitHub reports them. */
function signedCommit(): { sha: string; raw: string; payload: string; signature: string } {
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "key")], { env });
  git("init", "--quiet", "repo");
  writeFileSync(join(dir, "repo", "a.txt"), "one\n");
  const inRepo = (...args: string[]) => git("-C", join(dir, "repo"), ...args);
  inRepo("add", "a.txt");
  inRepo(
    ...["-c", "user.name=GitHub", "-c", "user.email=noreply@github.com"],
    ...["-c", "gpg.format=ssh", "-c", `user.signingkey=${join(dir, "key")}`],
    ...["commit", "--quiet", "-S", "-m", "Add a\n\nWith a body."],
  );
  const sha = inRepo("rev-parse", "HEAD");
  const raw = execFileSync("git", ["-C", join(dir, "repo"), "cat-file", "commit", sha], {
    env,
  }).toString("utf8");
  // What GitHub's `verification` holds: the object without its gpgsig header, and the signature.
  const match = /\ngpgsig ((?:.*\n)(?: .*\n)*)/.exec(raw)!;
  const signature = match[1]!.replace(/\n $/gm, "\n").replace(/\n /g, "\n");
  const payload = raw.replace(match[0], "\n");
  return { sha, raw, payload, signature };
}

const sshKeygen = machineNeed(programMissing("ssh-keygen", "openssh-client"));

describe("storedObject", () => {
  it.skipIf(sshKeygen.skip)(
    sshKeygen.title("rebuilds the bytes git stored for a signed commit, which hash to its id"),
    () => {
      sshKeygen.ensure();
      const commit = signedCommit();
      const object = storedObject({ payload: commit.payload, signature: commit.signature });
      expect(object).toBe(commit.raw);
      const id = execFileSync("git", ["hash-object", "-t", "commit", "--stdin"], {
        input: object!,
        env,
      })
        .toString("utf8")
        .trim();
      expect(id).toBe(commit.sha);
    },
  );

  it("is null without a payload or a signature (an unsigned commit: the worktree fetches it)", () => {
    expect(storedObject({ payload: null, signature: null })).toBeNull();
    expect(storedObject({ payload: "tree 1\n\nmessage", signature: null })).toBeNull();
    expect(storedObject({ payload: null, signature: "sig" })).toBeNull();
  });
});
