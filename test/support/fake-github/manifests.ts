// Registering an app from a manifest, as GitHub does it: the setup page sends a person to GitHub
// with the manifest, GitHub sends them back with a code, and the page trades the code for the
// new app's credentials (`POST /app-manifests/{code}/conversions`, with no authentication; a
// code is good once). `offerManifestCode` is the person's visit to GitHub: the app it registers
// is the fake's own app, with the private key the test holds.
import { randomBytes } from "node:crypto";
import { notFound } from "./http-io.ts";
import { appPermissions } from "./grants.ts";
import type { RouteTable } from "./route.ts";
import { userJson } from "./shapes.ts";
import type { FakeState } from "./state.ts";

/** What the conversion hands back for a code: the app's key, and the secrets GitHub made. */
export interface ManifestApp {
  pem: string;
  webhookSecret: string;
  clientId: string;
  clientSecret: string;
}

const offers = new WeakMap<FakeState, Map<string, ManifestApp>>();

function offersOf(state: FakeState): Map<string, ManifestApp> {
  let found = offers.get(state);
  if (!found) {
    found = new Map();
    offers.set(state, found);
  }
  return found;
}

/** A code for the app `pem` is the key of, as GitHub's redirect gives it; the secrets it made. */
export function offerManifestCode(state: FakeState, pem: string): { code: string } & ManifestApp {
  const code = randomBytes(10).toString("hex");
  const app: ManifestApp = {
    pem,
    webhookSecret: randomBytes(20).toString("hex"),
    clientId: `Iv1.${randomBytes(8).toString("hex")}`,
    clientSecret: randomBytes(20).toString("hex"),
  };
  offersOf(state).set(code, app);
  return { code, ...app };
}

export const manifestRoutes: RouteTable = {
  "POST /app-manifests/{code}/conversions": {
    auth: "none",
    handle: ({ world, params }) => {
      const code = params.code ?? "";
      const app = offersOf(world.state).get(code);
      if (!app) throw notFound();
      offersOf(world.state).delete(code);
      const at = world.state.iso(world.state.now());
      return {
        status: 201,
        body: {
          id: world.appId,
          slug: "stamina",
          node_id: Buffer.from(`A_${world.appId}`).toString("base64"),
          name: "Stamina",
          description: "",
          external_url: `${world.state.url}/apps/stamina`,
          html_url: `${world.state.url}/apps/stamina`,
          owner: userJson(world.state, "stamina-owner"),
          created_at: at,
          updated_at: at,
          permissions: appPermissions(),
          events: ["issues", "issue_comment"],
          client_id: app.clientId,
          client_secret: app.clientSecret,
          webhook_secret: app.webhookSecret,
          pem: app.pem,
        },
      };
    },
  },
};
