// A run as the rest of the app sees it: parsed, camel-cased, typed. The store
// converts rows to and from this shape at its edge.
import type { RepoConfig } from "../policy/config.ts";
import type { RunState } from "./schema.ts";

export interface NewRun {
  installationId: number;
  owner: string;
  repo: string;
  issueNumber: number;
  issueTitle: string;
  issueBody: string;
  requestedBy: string;
  deliveryId: string;
  config: RepoConfig;
}

export interface Run extends NewRun {
  id: string;
  state: RunState;
  branch: string | null;
  trackingCommentId: number | null;
  pullNumber: number | null;
  pullUrl: string | null;
  baseSha: string | null;
  headSha: string | null;
  stepsUsed: number;
  outcome: string | null;
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** Fields a worker may change while it holds the run. */
export type RunPatch = Partial<
  Pick<
    Run,
    | "state"
    | "branch"
    | "trackingCommentId"
    | "pullNumber"
    | "pullUrl"
    | "baseSha"
    | "headSha"
    | "stepsUsed"
    | "outcome"
  >
>;

export interface Delivery {
  id: string;
  event: string;
  action: string | null;
  installationId: number | null;
  payload: string;
}
