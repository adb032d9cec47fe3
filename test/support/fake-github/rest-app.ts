// REST routes authenticated by the App JWT: the app itself, a repository's installation, and
// minting installation tokens.
import { newInstallationToken } from "./auth.ts";
import { appPermissions, grantToken, installationPermissions } from "./grants.ts";
import { notFound } from "./http-io.ts";
import { type RouteTable, type World, intParam } from "./route.ts";
import { userJson } from "./shapes.ts";

export const appRoutes: RouteTable = {
  "GET /app": {
    auth: "jwt",
    handle: ({ world }) => ({
      status: 200,
      body: {
        id: world.appId,
        slug: world.state.appSlug,
        node_id: Buffer.from(`A_${world.appId}`).toString("base64"),
        name: "Stamina",
        owner: userJson(world.state, "stamina-owner"),
        permissions: appPermissions(),
        events: ["issues", "issue_comment"],
        html_url: `${world.state.url}/apps/${world.state.appSlug}`,
      },
    }),
  },

  "GET /repos/{owner}/{repo}/installation": {
    auth: "jwt",
    handle: ({ world, params }) => {
      const repo = world.state.repo(params.owner ?? "", params.repo ?? "");
      if (!repo) return { status: 404, body: notFound().body };
      return { status: 200, body: installationJson(world, repo.installationId) };
    },
  },

  "GET /app/installations/{installation_id}": {
    auth: "jwt",
    handle: ({ world, params }) => {
      const installationId = intParam(params, "installation_id");
      if (installationId === undefined || !world.state.installations.has(installationId)) {
        throw notFound();
      }
      return { status: 200, body: installationJson(world, installationId) };
    },
  },

  "POST /app/installations/{installation_id}/access_tokens": {
    auth: "jwt",
    handle: ({ world, params, body }) => {
      const installationId = intParam(params, "installation_id");
      if (installationId === undefined || !world.state.installations.has(installationId)) {
        throw notFound();
      }
      const grant = grantToken(world.state, installationId, body);
      const token = newInstallationToken();
      const expiresAt = world.state.now() + world.tokenTtlMs;
      world.state.tokens.set(token, { installationId, expiresAt, ...grant });
      world.state.issued.push(token);
      const { repositoryIds } = grant;
      const repositories =
        repositoryIds === "all"
          ? undefined
          : [...world.state.reposList()]
              .filter((r) => repositoryIds.includes(r.id))
              .map((r) => ({ id: r.id, name: r.name, full_name: `${r.owner}/${r.name}` }));
      return {
        status: 201,
        body: {
          token,
          expires_at: world.state.iso(expiresAt),
          permissions: grant.permissions,
          repository_selection: repositories ? "selected" : "all",
          ...(repositories ? { repositories } : {}),
        },
      };
    },
  },
};

function installationJson(world: World, id: number): Record<string, unknown> {
  const account = world.state.installations.get(id) ?? "";
  return {
    id,
    app_id: world.appId,
    app_slug: world.state.appSlug,
    account: { login: account, type: "Organization" },
    target_type: "Organization",
    repository_selection: "all",
    permissions: installationPermissions(world.state, id),
    events: [],
  };
}
