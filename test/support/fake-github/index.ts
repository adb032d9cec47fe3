// A fake GitHub (Enterprise) on 127.0.0.1 for end-to-end tests: REST under /api/v3 limited to
// GitHub's OpenAPI description, GraphQL checked against GitHub's schema, git smart HTTP through
// `git http-backend`, and App JWT / installation-token auth that expires on an injected clock.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppJwtVerifier } from "./auth.ts";
import { deliver, deliveriesOf } from "./deliveries.ts";
import { offerManifestCode } from "./manifests.ts";
import { oauthOf } from "./oauth.ts";
import { copyBareRepo, createBareRepo, createGit, installPushHooks } from "./git.ts";
import { GraphQLEndpoint } from "./graphql.ts";
import { registerPullMutations } from "./graphql-pulls.ts";
import {
  addReviewComment,
  editReviewComment,
  registerReviewGraphQL,
  submitReview,
  threadViews,
} from "./reviews.ts";
import { HttpError } from "./http-io.ts";
import { attachHandler, listenFakeServer, type Fault } from "./server.ts";
import { FakeState } from "./state.ts";
import type { FakeGitHub, FakeGitHubOptions, RecordedRequest } from "./types.ts";

export type * from "./types.ts";
export { implementedRoutes } from "./rest.ts";

const DEFAULT_TOKEN_TTL_MS = 3_600_000;
const NAME = /^(?!\.\.?$)[A-Za-z0-9._-]+$/;

/**
 * Starts the fake on an ephemeral port. Typical use:
 *   const gh = await startFakeGitHub({ appId, appPublicKeyPem });
 *   gh.addInstallation(1, "acme");
 *   await gh.createRepository({ owner: "acme", name: "app", installationId: 1, files: {...} });
 *   // give the app GHE_HOST=gh.host, GHE_PROTOCOL=http; assert on gh.pulls(), gh.refusals, ...
 *   await gh.close();
 */
export async function startFakeGitHub(opts: FakeGitHubOptions): Promise<FakeGitHub> {
  const now = opts.now ?? Date.now;
  const root = await mkdtemp(join(tmpdir(), "fake-github-"));
  const home = join(root, "home");
  const projectRoot = join(root, "repos");
  const scratch = join(root, "scratch");
  await Promise.all([home, projectRoot, scratch].map((dir) => mkdir(dir, { recursive: true })));

  const { server, port } = await listenFakeServer();
  const url = `http://127.0.0.1:${port}`;
  const state = new FakeState(url, now);
  const git = createGit(home);
  const graphql = new GraphQLEndpoint();
  registerPullMutations(graphql, state);
  registerReviewGraphQL(graphql, state);
  const requests: RecordedRequest[] = [];
  const refusals: RecordedRequest[] = [];
  const faults: Fault[] = [];
  attachHandler(server, {
    faults,
    rest: {
      world: { state, git, appId: opts.appId, tokenTtlMs: opts.tokenTtlMs ?? DEFAULT_TOKEN_TTL_MS },
      verifier: new AppJwtVerifier(opts.appId, opts.appPublicKeyPem, now),
    },
    git: { state, git, projectRoot },
    graphql,
    requests,
    refusals,
  });

  const repoOf = (owner: string, name: string) => state.repo(owner, name);
  const mustRepo = (owner: string, name: string) => {
    const repo = state.repo(owner, name);
    if (!repo) throw new Error(`no repository ${owner}/${name}`);
    return repo;
  };

  return {
    url,
    host: `127.0.0.1:${port}`,
    apiUrl: `${url}/api/v3`,
    requests,
    refusals,

    addInstallation(id, account) {
      state.installations.set(id, account);
    },

    async createRepository({ owner, name, files, source, defaultBranch = "main", installationId }) {
      if (!NAME.test(owner) || !NAME.test(name))
        throw new Error(`invalid repository name ${owner}/${name}`);
      if (!state.installations.has(installationId)) {
        throw new Error(`no installation ${installationId}; call addInstallation first`);
      }
      if (state.repo(owner, name)) throw new Error(`repository ${owner}/${name} already exists`);
      const barePath = join(projectRoot, owner, `${name}.git`);
      if (source === undefined)
        await createBareRepo(git, scratch, { barePath, defaultBranch, files });
      else await copyBareRepo(git, scratch, { barePath, source });
      await installPushHooks(barePath);
      state.addRepo({ id: state.nextId(), owner, name, defaultBranch, installationId, barePath });
      return { barePath };
    },

    grantWorkflows(installationId) {
      state.workflowsGranted.add(installationId);
    },

    renameApp(slug) {
      state.appSlug = slug;
    },

    setPermission(owner, repo, username, permission) {
      state.setPermission(owner, repo, username, permission);
    },

    registerGraphQL(operationMatcher, resolver) {
      graphql.register(operationMatcher, resolver);
    },

    issueComments(owner, repoName, issueNumber) {
      const repo = repoOf(owner, repoName);
      return state.comments
        .filter((c) => c.repoId === repo?.id && c.issueNumber === issueNumber)
        .map(({ id, body, user, updatedCount }) => ({ id, body, user, updatedCount }));
    },

    reactions(owner, repoName, issueNumber) {
      const repo = repoOf(owner, repoName);
      return state.reactions
        .filter(
          (r) =>
            r.repoId === repo?.id && r.issueNumber === issueNumber && r.commentId === undefined,
        )
        .map(({ id, content }) => ({ id, content }));
    },

    addComment(owner, repoName, issueNumber, { user, body }) {
      const repo = repoOf(owner, repoName);
      if (!repo) throw new Error(`no repository ${owner}/${repoName}`);
      const now = state.now();
      const id = state.nextId();
      state.comments.push({
        id,
        repoId: repo.id,
        issueNumber,
        body,
        user,
        createdAt: now,
        updatedAt: now,
        updatedCount: 0,
      });
      return { id };
    },

    commentReactions(owner, repoName, commentId) {
      const repo = repoOf(owner, repoName);
      return state.reactions
        .filter((r) => r.repoId === repo?.id && r.commentId === commentId)
        .map((r) => r.content);
    },

    pulls(owner, repoName) {
      const repo = repoOf(owner, repoName);
      return state.pulls
        .filter((p) => p.repoId === repo?.id)
        .map(({ number, title, body, head, base, draft, state: s }) => ({
          number,
          title,
          body,
          head,
          base,
          draft,
          state: s,
        }));
    },

    failNext(method, path, answer, times = 1) {
      faults.push({
        method,
        path,
        remaining: times,
        error: new HttpError(answer.status, answer.body ?? {}, answer.headers ?? {}),
      });
    },

    clearFaults() {
      faults.length = 0;
    },

    faultsLeft() {
      return faults.reduce((n, f) => n + (f.error || f.drop ? f.remaining : 0), 0);
    },

    dropNext(method, path, afterMs = 0, times = 1) {
      faults.push({ method, path, remaining: times, drop: { afterMs } });
    },

    beforeNext(method, path, action) {
      faults.push({ method, path, remaining: 1, before: action });
    },

    requireSignatures(owner, repoName) {
      mustRepo(owner, repoName).signedOnly = true;
    },

    isVerified(sha) {
      return state.signedCommits.has(sha);
    },

    openForkPull(owner, repoName, pr) {
      const repo = repoOf(owner, repoName);
      if (!repo) throw new Error(`no repository ${owner}/${repoName}`);
      const now = state.now();
      const number = state.nextPullNumber(repo.id);
      state.pulls.push({
        id: state.nextId(),
        repoId: repo.id,
        number,
        title: pr.title,
        body: "",
        head: pr.branch,
        base: repo.defaultBranch,
        draft: false,
        state: "open",
        fork: pr.fork,
        createdAt: now,
        updatedAt: now,
      });
      return number;
    },

    submitReview(owner, repoName, pullNumber, review) {
      return submitReview(state, mustRepo(owner, repoName), pullNumber, review);
    },

    replyInThread(threadId, user, body) {
      const match = /^PRRT_(\d+)$/.exec(Buffer.from(threadId, "base64").toString("utf8"));
      const thread = match && state.reviewThreads.find((t) => t.id === Number(match[1]));
      if (!thread) throw new Error(`no review thread ${threadId}`);
      return addReviewComment(state, thread, user, body);
    },

    editReviewComment(commentId, user, body) {
      editReviewComment(state, commentId, user, body);
    },

    reviewThreads(owner, repoName, pullNumber) {
      return threadViews(state, mustRepo(owner, repoName), pullNumber);
    },

    closePull(owner, repoName, number) {
      const repo = mustRepo(owner, repoName);
      const pull = state.pulls.find((p) => p.repoId === repo.id && p.number === number);
      if (!pull) throw new Error(`no pull request #${number} in ${owner}/${repoName}`);
      pull.state = "closed";
      pull.updatedAt = state.now();
    },

    checkRuns(owner, repoName) {
      const repo = repoOf(owner, repoName);
      return state.checkRuns
        .filter((c) => c.repoId === repo?.id)
        .map(({ repoId: _repo, startedAt: _started, completedAt: _completed, ...view }) => view);
    },

    labels(owner, repoName, issueNumber) {
      const repo = repoOf(owner, repoName);
      if (!repo) return [];
      if (issueNumber === undefined) return state.repoLabels(repo.id).map((l) => l.name);
      return [...state.issueLabels(repo.id, issueNumber)];
    },

    offerManifestCode: (pem) => offerManifestCode(state, pem),

    oauthClient: { ...oauthOf(state).client },

    signInAs(login) {
      oauthOf(state).browserUser = login;
    },

    userTokens: () => [...oauthOf(state).tokens.keys()],

    setWebhook(target) {
      deliveriesOf(state).target = target;
    },

    deliver: (event, payload) => deliver(state, event, payload),

    hookDeliveries: () => [...deliveriesOf(state).records],

    issuedTokens() {
      return [...state.issued];
    },

    tokenGrants() {
      const names = new Map([...state.reposList()].map((r) => [r.id, `${r.owner}/${r.name}`]));
      return state.issued.flatMap((token) => {
        const record = state.tokens.get(token);
        if (!record) return [];
        const { installationId, repositoryIds, permissions } = record;
        const repositories =
          repositoryIds === "all" ? "all" : repositoryIds.map((id) => names.get(id) ?? String(id));
        return [{ token, installationId, repositories, permissions: { ...permissions } }];
      });
    },

    async close() {
      await Promise.allSettled([...deliveriesOf(state).inFlight]);
      const closed = new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
      server.closeAllConnections();
      await closed;
      await rm(root, { recursive: true, force: true });
    },
  };
}
