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
  /** The commit the pull request's branch is at now. */
  headSha: string;
  title: string;
  body: string;
  state: "open" | "closed";
}

/** A comment on an issue's (or a pull request's) conversation. */
export interface IssueComment {
  id: number;
  author: string;
  bot: boolean;
  body: string;
  url: string;
  /** When it was written, as GitHub says (ISO 8601). */
  createdAt: string;
}

/** A comment in a review thread, oldest first. */
interface ReviewThreadComment {
  /** REST's id, which a reply in the thread names. */
  id: number;
  body: string;
  url: string;
  author: string;
  bot: boolean;
  /** When it was written, as GitHub says (ISO 8601). */
  createdAt: string;
  /** When its text was last edited (ISO 8601); null when never. */
  lastEditedAt: string | null;
}

/** A review thread of a pull request, as GraphQL's `reviewThreads` gives it. */
export interface ReviewThread {
  /** GraphQL's id, for `resolveReviewThread`. */
  id: string;
  resolved: boolean;
  /** The line it was on changed since: `line` is null, `originalLine` says where it was. */
  outdated: boolean;
  path: string;
  line: number | null;
  originalLine: number | null;
  /** The commit the thread's first comment was written against: where `originalLine` is. */
  originalCommit: string | null;
  diffHunk: string;
  comments: ReviewThreadComment[];
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
  /**
   * A valid installation token for git on this repository alone (contents, never issues or
   * pull requests), asked for right before each git fetch or push.
   */
  gitToken(ref: RepoRef): Promise<string>;
  /** The HTTPS remote of a repository; never carries credentials. */
  cloneUrl(owner: string, repo: string): string;
  defaultBranch(ref: RepoRef): Promise<string>;
  /** The new comment's id, and when GitHub says it was made (by GitHub's clock). */
  createComment(
    ref: RepoRef,
    issueNumber: number,
    body: string,
  ): Promise<{ id: number; createdAt?: string }>;
  updateComment(ref: RepoRef, commentId: number, body: string): Promise<void>;
  /** The comments on an issue, oldest first (the first few hundred). */
  issueComments(ref: RepoRef, issueNumber: number): Promise<IssueComment[]>;
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
  /** Every review thread of the pull request, resolved or not. */
  reviewThreads(ref: RepoRef, pull: number): Promise<ReviewThread[]>;
  /** A reply in the thread of review comment `commentId`; the reply's URL. */
  replyInThread(ref: RepoRef, pull: number, commentId: number, body: string): Promise<string>;
  resolveThread(ref: RepoRef, threadId: string): Promise<void>;
  /** Whether `login` may write to the repository (write, maintain or admin). */
  canWrite(ref: RepoRef, login: string): Promise<boolean>;
  /** The names of the labels on an issue or pull request. */
  issueLabels(ref: RepoRef, issueNumber: number): Promise<string[]>;
  /** Creates the label in the repository unless it is there. */
  ensureLabel(ref: RepoRef, label: LabelSpec): Promise<void>;
  addLabel(ref: RepoRef, issueNumber: number, name: string): Promise<void>;
  /** Removes the label from the issue; one that is not there is not an error. */
  removeLabel(ref: RepoRef, issueNumber: number, name: string): Promise<void>;
  /**
   * The Git Data API (git-data.ts), with the contents permission (and `workflows` where the
   * installation granted it): Stamina's commits made by GitHub, signed.
   */
  git: GitDataPort;
}

export interface GitDataPort {
  /** The commit the branch points at on GitHub; null when there is no such branch. */
  branchHead(ref: RepoRef, branch: string): Promise<string | null>;
  createBlob(ref: RepoRef, content: Buffer): Promise<string>;
  createTree(ref: RepoRef, base: string, entries: TreeEntryWrite[]): Promise<string>;
  /** A commit GitHub authors, commits and signs (no author or committer is sent). */
  createCommit(
    ref: RepoRef,
    commit: { message: string; tree: string; parents: string[] },
  ): Promise<CreatedCommit>;
  /** Creates (expected null) or fast-forwards the branch; `moved-meanwhile` when it was not there. */
  moveBranch(
    ref: RepoRef,
    move: { branch: string; sha: string; expected: string | null },
  ): Promise<BranchMove>;
}

/** One entry of a new tree over its base: a file's bytes inline or by blob, or null to delete. */
export interface TreeEntryWrite {
  path: string;
  mode: "100644" | "100755" | "120000" | "160000";
  type: "blob" | "commit";
  /** The blob (or, for a gitlink, the commit); null deletes the path. */
  sha?: string | null;
  /** A text file's content, inline (no blob request of its own). */
  content?: string;
}

interface GitSignature {
  name: string;
  email: string;
  date: string;
}

/** A commit GitHub made, as it answered. */
export interface CreatedCommit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  author: GitSignature;
  committer: GitSignature;
  /** GitHub signed it and verifies the signature. */
  verified: boolean;
  /**
   * The commit object's bytes as GitHub stores them, rebuilt from the signed payload and the
   * signature; null when GitHub gave neither. Unchecked: it is the commit only if it hashes to `sha`.
   */
  object: string | null;
}

/** What a branch update came to: moved, or refused because the branch is not where it was. */
export type BranchMove = "moved" | "moved-meanwhile";
