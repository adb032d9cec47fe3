// The fake's in-memory world: installations, repositories, tokens, permissions, comments,
// reactions, pull requests and their review threads, with the counters that number them.
import type { ReviewCommentRecord, ReviewThreadRecord } from "./reviews.ts";
import type { Permission } from "./types.ts";

export interface RepoRecord {
  id: number;
  owner: string;
  name: string;
  defaultBranch: string;
  installationId: number;
  barePath: string;
  /** A ruleset requires signed commits: pushes and ref updates that bring an unsigned one fail. */
  signedOnly?: boolean;
}

export interface TokenRecord {
  installationId: number;
  expiresAt: number;
  /** The repositories it reaches: those it named, or all of the installation's. */
  repositoryIds: number[] | "all";
  /** What it may do there: what it asked for (and metadata read), or all the installation has. */
  permissions: Record<string, "read" | "write">;
}

export interface CommentRecord {
  id: number;
  repoId: number;
  issueNumber: number;
  body: string;
  user: string;
  createdAt: number;
  updatedAt: number;
  updatedCount: number;
}

export interface ReactionRecord {
  id: number;
  repoId: number;
  issueNumber: number;
  /** Set for a reaction on a comment (of that issue), absent for one on the issue itself. */
  commentId?: number;
  content: string;
  user: string;
  createdAt: number;
}

export interface PullRecord {
  id: number;
  repoId: number;
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  draft: boolean;
  state: "open" | "closed";
  /** The fork holding the head branch (`owner/name`), for a pull request opened from one. */
  fork?: string;
  createdAt: number;
  updatedAt: number;
}

export interface CheckRunRecord {
  id: number;
  repoId: number;
  name: string;
  headSha: string;
  externalId: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  title: string | null;
  summary: string | null;
  text: string | null;
  startedAt: number;
  completedAt: number | null;
  updatedCount: number;
}

export interface LabelRecord {
  id: number;
  name: string;
  color: string;
  description: string | null;
}

/** Pull numbers start here so they do not collide with the issue numbers of example payloads. */
const FIRST_PULL_NUMBER = 101;

const key = (...parts: string[]): string => parts.map((p) => p.toLowerCase()).join("/");

export class FakeState {
  readonly installations = new Map<number, string>();
  /** Installations whose operator granted the `workflows` permission. */
  readonly workflowsGranted = new Set<number>();
  /** The app's slug, as `GET /app` gives it; renamed by `renameApp`. */
  appSlug = "stamina";
  readonly tokens = new Map<string, TokenRecord>();
  /** Every token minted, in order. */
  readonly issued: string[] = [];
  readonly comments: CommentRecord[] = [];
  readonly reactions: ReactionRecord[] = [];
  readonly pulls: PullRecord[] = [];
  readonly checkRuns: CheckRunRecord[] = [];
  readonly reviewThreads: ReviewThreadRecord[] = [];
  readonly reviewComments: ReviewCommentRecord[] = [];
  /** Commits GitHub made and signed (Git Data API commits left to GitHub): "Verified". */
  readonly signedCommits = new Set<string>();
  private readonly labels = new Map<number, LabelRecord[]>();
  private readonly labelsOn = new Map<string, string[]>();
  private readonly repos = new Map<string, RepoRecord>();
  private readonly permissions = new Map<string, Permission>();
  private readonly userIds = new Map<string, number>();
  private readonly pullCounters = new Map<number, number>();
  private lastId = 0;

  constructor(
    readonly url: string,
    readonly now: () => number,
  ) {}

  nextId(): number {
    this.lastId += 1;
    return this.lastId;
  }

  nextPullNumber(repoId: number): number {
    const next = this.pullCounters.get(repoId) ?? FIRST_PULL_NUMBER;
    this.pullCounters.set(repoId, next + 1);
    return next;
  }

  /** A stable id per login, as GitHub gives every account one. */
  userId(login: string): number {
    const known = this.userIds.get(login.toLowerCase());
    if (known !== undefined) return known;
    const id = 9000 + this.userIds.size;
    this.userIds.set(login.toLowerCase(), id);
    return id;
  }

  addRepo(repo: RepoRecord): void {
    this.repos.set(key(repo.owner, repo.name), repo);
  }

  reposList(): Iterable<RepoRecord> {
    return this.repos.values();
  }

  /** Owner and name are case-insensitive on GitHub. */
  repo(owner: string, name: string): RepoRecord | undefined {
    return this.repos.get(key(owner, name));
  }

  setPermission(owner: string, repo: string, user: string, permission: Permission): void {
    this.permissions.set(key(owner, repo, user), permission);
  }

  permission(owner: string, repo: string, user: string): Permission | undefined {
    return this.permissions.get(key(owner, repo, user));
  }

  /** The installation a token belongs to, if the token exists and has not expired. */
  liveToken(token: string): TokenRecord | undefined {
    const record = this.tokens.get(token);
    return record && record.expiresAt > this.now() ? record : undefined;
  }

  /** Label names are case-insensitive on GitHub. */
  label(repoId: number, name: string): LabelRecord | undefined {
    return this.labels.get(repoId)?.find((l) => l.name.toLowerCase() === name.toLowerCase());
  }

  addLabel(repoId: number, label: Omit<LabelRecord, "id">): LabelRecord {
    const record = { id: this.nextId(), ...label };
    this.labels.set(repoId, [...(this.labels.get(repoId) ?? []), record]);
    return record;
  }

  repoLabels(repoId: number): LabelRecord[] {
    return this.labels.get(repoId) ?? [];
  }

  /** The names of the labels on an issue or pull request, live (callers may change it). */
  issueLabels(repoId: number, issueNumber: number): string[] {
    const k = `${repoId}#${issueNumber}`;
    let on = this.labelsOn.get(k);
    if (!on) {
      on = [];
      this.labelsOn.set(k, on);
    }
    return on;
  }

  iso(ms: number): string {
    return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  }
}
