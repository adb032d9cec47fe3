// Before the harness runs git where commands have written (the worktree), it
// checks the repository's config: a key that could run a program, redirect an
// authenticated request or add credentials stops the command. The allowlist
// holds what git itself writes, and keys the harness overrides on every call.
import { GitError, runGit } from "./git-run.ts";

const ALLOWED: RegExp[] = [
  /^core\.(repositoryformatversion|filemode|bare|logallrefupdates|ignorecase|precomposeunicode|symlinks|autocrlf|eol|safecrlf|quotepath|checkstat|trustctime|untrackedcache|sparsecheckout|sparsecheckoutcone)$/,
  // Overridden by runGit's own -c flags (husky and friends set core.hooksPath).
  /^core\.(hookspath|fsmonitor)$/,
  /^commit\.gpgsign$/,
  /^remote\..+\.(url|fetch|promisor|partialclonefilter|tagopt|prune)$/,
  /^branch\..+\.(remote|merge|rebase|description)$/,
  /^extensions\.(objectformat|partialclone|worktreeconfig)$/,
  /^user\.(name|email)$/,
  /^(init\.defaultbranch|pull\.rebase|pull\.ff|fetch\.prune|gc\.auto|index\.version)$/,
  /^(advice|color)\./,
];

/** Throws GitError naming the offending keys when the repository config is not safe to use. */
export async function assertSafeRepoConfig(cwd: string, signal?: AbortSignal): Promise<void> {
  const { stdout } = await runGit(["config", "--list", "--show-scope", "--name-only", "-z"], {
    cwd,
    signal,
  });
  const fields = stdout.split("\0");
  const refused = new Set<string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const scope = fields[i] ?? "";
    const key = fields[i + 1] ?? "";
    // "command" is the harness's own -c flags; system and global config are switched off.
    if (scope === "command") continue;
    if (!ALLOWED.some((pattern) => pattern.test(key))) refused.add(key);
  }
  if (refused.size > 0) {
    const keys = [...refused].sort().join(", ");
    throw new GitError(
      "config",
      `refusing to run git in ${cwd}: its git config sets ${keys}, which could run a program or redirect an authenticated request`,
      null,
      "",
    );
  }
}
