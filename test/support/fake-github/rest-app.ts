// REST routes authenticated by the App JWT: the app itself, a repository's installation, and
// minting installation tokens.
import { newInstallationToken } from "./auth.ts";
import { notFound } from "./http-io.ts";
import { type RouteTable, intParam } from "./route.ts";
import { userJson } from "./shapes.ts";

export const appRoutes: RouteTable = {
  "GET /app": {
    auth: "jwt",
    handle: ({ world }) => ({
      status: 200,
      body: {
        id: world.appId,
        slug: "stamina",
        node_id: Buffer.from(`A_${world.appId}`).toString("base64"),
        name: "Stamina",
        owner: userJson(world.state, "stamina-owner"),
        permissions: {
          contents: "write",
          issues: "write",
          pull_requests: "write",
          metadata: "read",
        },
        events: ["issues", "issue_comment"],
        html_url: `${world.state.url}/apps/stamina`,
      },
    }),
  },

  "GET /repos/{owner}/{repo}/installation": {
    auth: "jwt",
    handle: ({ world, params }) => {
      const repo = world.state.repo(params.owner ?? "", params.repo ?? "");
      if (!repo) return { status: 404, body: notFound().body };
      const account = world.state.installations.get(repo.installationId) ?? repo.owner;
      return { status: 200, body: installationJson(world.appId, repo.installationId, account) };
    },
  },

  "POST /app/installations/{installation_id}/access_tokens": {
    auth: "jwt",
    handle: ({ world, params }) => {
      const installationId = intParam(params, "installation_id");
      if (installationId === undefined || !world.state.installations.has(installationId)) {
        throw notFound();
      }
      const token = newInstallationToken();
      const expiresAt = world.state.now() + world.tokenTtlMs;
      world.state.tokens.set(token, { installationId, expiresAt });
      world.state.issued.push(token);
      return {
        status: 201,
        body: {
          token,
          expires_at: world.state.iso(expiresAt),
          permissions: {},
          repository_selection: "all",
        },
      };
    },
  },
};

function installationJson(appId: number, id: number, account: string): Record<string, unknown> {
  return {
    id,
    app_id: appId,
    app_slug: "stamina",
    account: { login: account, type: "Organization" },
    target_type: "Organization",
    repository_selection: "all",
    permissions: {},
    events: [],
  };
}
