// The real app started beside the run harness (run-harness.ts): it shares the
// harness's store, clock and app key and talks to its fake GitHub, so what a
// person does on GitHub (a comment, a review, closing a pull request) goes
// through the real ingress, gate and handlers, and the runs it queues are the
// ones the harness claims and executes.
import { expect } from "vitest";
import type { Permission } from "./fake-github/index.ts";
import { startApp, type AppUnderTest } from "./app-harness.ts";
import { HARNESS_APP_KEY, OWNER, REPO, REQUESTER_ID, type Harness } from "./run-harness.ts";
import { issueCommentPayload, type Account } from "./webhooks.ts";

/** The harness's requester: a writer, who asks for every run the harness queues. */
const MAINTAINER: Account = { login: "maintainer", id: REQUESTER_ID, type: "User" };

/** The app under test (its store is the harness's), with the verbs of a person on GitHub. */
export interface AppBesideHarness extends AppUnderTest {
  /**
   * A person's comment on issue or pull request `on` (1 unless given) by `by` (MAINTAINER unless
   * given; another login alone keeps the example payload's account id): posted on the fake
   * GitHub, then its `issue_comment.created` delivered to the app as GitHub sends it (on a pull
   * request, the payload says so) and handled. The comment's id.
   */
  comment(body: string, options?: { by?: string | Account; on?: number }): Promise<number>;
  /** A webhook delivered to the app as GitHub sends it, once the app handled it; its delivery id. */
  send(event: string, payload: unknown): Promise<string>;
  /** The reactions Stamina left on comment `commentId` (`+1`, `confused`). */
  reactions(commentId: number): string[];
}

/**
 * Starts the app beside `h` and gives `people` their role on the harness's repository:
 * `maintainer` a writer and `reader` a reader unless `people` says otherwise.
 */
export async function appBesideHarness(
  h: Harness,
  options: { people?: Record<string, Permission> } = {},
): Promise<AppBesideHarness> {
  const people = { maintainer: "write", reader: "read", ...options.people } as const;
  for (const [login, role] of Object.entries(people)) {
    h.github.setPermission(OWNER, REPO, login, role);
  }
  const app = await startApp({
    apiUrl: h.github.apiUrl,
    store: h.store,
    now: () => h.now(),
    privateKey: HARNESS_APP_KEY,
  });
  const send = async (event: string, payload: unknown) => {
    const posted = await app.deliver(event, payload);
    expect(await app.handled(posted.deliveryId)).toBe("ok");
    return posted.deliveryId;
  };
  return {
    ...app,
    send,
    async comment(body, { by = MAINTAINER, on = 1 } = {}) {
      const author =
        typeof by !== "string" ? by : by === MAINTAINER.login ? MAINTAINER : { login: by };
      const { id } = h.github.addComment(OWNER, REPO, on, { user: author.login, body });
      const pullRequest = h.github.pulls(OWNER, REPO).some((p) => p.number === on);
      const payload = issueCommentPayload({
        owner: OWNER,
        repo: REPO,
        github: h.github,
        number: on,
        pullRequest,
        author,
        commentId: id,
        body,
        at: h.now(),
      });
      await send("issue_comment", payload);
      return id;
    },
    reactions: (commentId) => h.github.commentReactions(OWNER, REPO, commentId),
  };
}
