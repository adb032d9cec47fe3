// Who may see the run pages: the gate admits a request as a viewer (or answers it itself: a
// sign-in redirect, a refusal), and says per repository whether that viewer may read its runs.
// The local gate (local-gate.ts) and GitHub sign-in (oauth-gate.ts) are its two kinds;
// choose-gate.ts picks one from the settings.
import type { IncomingMessage, ServerResponse } from "node:http";

export type Viewer = { kind: "local" } | { kind: "github"; login: string; token: string };

export interface PageGate {
  /** The viewer of this request, or null once the gate has answered it (refused, redirected). */
  admit(req: IncomingMessage, res: ServerResponse): Promise<Viewer | null>;
  /** Whether `viewer` may read the runs of `repository` ("owner/name"). */
  mayRead(viewer: Viewer, repository: string): Promise<boolean>;
}
