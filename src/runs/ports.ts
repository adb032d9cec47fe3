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

/** A pull request as the run needs it: where it is and whether it is a draft. */
export interface PullRequestInfo {
  number: number;
  url: string;
  draft: boolean;
  /** GraphQL's id, for the mutations REST lacks (ready for review, back to draft). */
  nodeId: string;
  headRef: string;
  /** `owner/name` of the repository holding the branch; null when that fork was deleted. */
  headRepo: string | null;
  baseRepo: string;
}

export type CheckConclusion = "success" | "failure" | "neutral" | "cancelled";

/** A check run's state and output (title, and summary and text of at most 65,535 characters). */
export interface CheckRunWrite {
  name: string;
  /** Our own reference (the run's id, and the part for the audit log), to find it again. */
  externalId: string;
  status: "in_progress" | "completed";
  conclusion?: CheckConclusion;
  title: string;
  summary: string;
  text?: string;
}

export interface LabelSpec {
  name: string;
  color: string;
  description: string;
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
  pullRequest(ref: RepoRef, number: number): Promise<PullRequestInfo>;
  updatePullRequest(ref: RepoRef, number: number, patch: { body?: string }): Promise<void>;
  /** Moves the pull request to draft, or marks it ready for review. */
  setDraft(ref: RepoRef, pull: PullRequestInfo, draft: boolean): Promise<void>;
  createCheckRun(ref: RepoRef, headSha: string, check: CheckRunWrite): Promise<{ id: number }>;
  updateCheckRun(ref: RepoRef, id: number, check: CheckRunWrite): Promise<void>;
  /** Check runs on a commit whose name is `name`, as `{ id, externalId }`, newest first. */
  findCheckRuns(
    ref: RepoRef,
    headSha: string,
    name: string,
  ): Promise<Array<{ id: number; externalId: string }>>;
  /** The names of the labels on an issue or pull request. */
  issueLabels(ref: RepoRef, issueNumber: number): Promise<string[]>;
  /** Creates the label in the repository unless it is there. */
  ensureLabel(ref: RepoRef, label: LabelSpec): Promise<void>;
  addLabel(ref: RepoRef, issueNumber: number, name: string): Promise<void>;
  /** Removes the label from the issue; one that is not there is not an error. */
  removeLabel(ref: RepoRef, issueNumber: number, name: string): Promise<void>;
}
