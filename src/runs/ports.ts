// What the run lifecycle needs from GitHub, as a port: the worker knows these
// operations, not Octokit. src/github/ implements it; tests use the same
// implementation against the fake GitHub.

export interface RepoRef {
  installationId: number;
  owner: string;
  repo: string;
}

export interface PullRequestDraft {
  title: string;
  head: string;
  base: string;
  body: string;
  draft: boolean;
}

export interface GitHubPort {
  /** A valid installation token, asked for right before each git fetch or push. */
  gitToken(installationId: number): Promise<string>;
  /** The HTTPS remote of a repository; never carries credentials. */
  cloneUrl(owner: string, repo: string): string;
  defaultBranch(ref: RepoRef): Promise<string>;
  createComment(ref: RepoRef, issueNumber: number, body: string): Promise<{ id: number }>;
  updateComment(ref: RepoRef, commentId: number, body: string): Promise<void>;
  /** The app's own comment on the issue that contains `needle`, if it posted one. */
  findComment(ref: RepoRef, issueNumber: number, needle: string): Promise<number | null>;
  /** Opens the pull request, or returns the open one that already has this head. */
  openPullRequest(
    ref: RepoRef,
    draft: PullRequestDraft,
  ): Promise<{ number: number; url: string; created: boolean }>;
}
