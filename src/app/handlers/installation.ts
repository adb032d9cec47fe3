// The installation's lifecycle: created (recorded, with its repositories),
// suspended (its runs stopped; nothing new is accepted), unsuspended
// (accepted again), deleted (its data purged), repositories added and
// removed (the removed ones' runs stopped). No GitHub writes: a suspended or
// deleted installation gets no token.
import type { Context } from "probot";
import { cancelRun } from "../cancel.ts";
import type { HandlerDependencies } from "../dependencies.ts";

type InstallationEvent =
  | "installation.created"
  | "installation.deleted"
  | "installation.suspend"
  | "installation.unsuspend";

export function onInstallation(deps: HandlerDependencies) {
  return async (context: Context<InstallationEvent>): Promise<void> => {
    const { payload } = context;
    const { id } = payload.installation;
    const account = accountName(payload.installation.account);
    const log = deps.log.child({ installationId: id, account, action: payload.action });
    const installations = deps.store.installations;
    switch (payload.action) {
      case "created":
        await installations.record(id, account);
        await installations.addRepositories(
          id,
          (payload.repositories ?? []).map((r) => r.full_name),
        );
        log.info("installed");
        break;
      case "suspend": {
        await installations.setSuspended(id, account, payload.sender.login);
        const stopped = await stopAll(deps, id, undefined, {
          by: `@${payload.sender.login}`,
          reason: "suspended the app's installation",
        });
        log.info({ stopped }, "installation suspended; its runs are stopped");
        break;
      }
      case "unsuspend":
        await installations.setSuspended(id, account, null);
        log.info("installation unsuspended");
        break;
      case "deleted": {
        const purged = await installations.purge(id, context.id);
        log.info({ runs: purged.length }, "installation deleted; its data is purged");
        break;
      }
    }
  };
}

export function onInstallationRepositories(deps: HandlerDependencies) {
  return async (
    context: Context<"installation_repositories.added" | "installation_repositories.removed">,
  ): Promise<void> => {
    const { payload } = context;
    const { id } = payload.installation;
    const installations = deps.store.installations;
    await installations.record(id, accountName(payload.installation.account));
    const added = payload.repositories_added.map((r) => r.full_name);
    const removed = payload.repositories_removed.map((r) => r.full_name ?? "").filter(Boolean);
    await installations.addRepositories(id, added);
    await installations.removeRepositories(id, removed);
    if (removed.length > 0) {
      const stopped = await stopAll(deps, id, removed, {
        by: `@${payload.sender.login}`,
        reason: "removed the repository from the app's installation",
      });
      deps.log.info({ installationId: id, removed, stopped }, "repositories removed");
    }
  };
}

async function stopAll(
  deps: HandlerDependencies,
  installationId: number,
  repositories: string[] | undefined,
  stop: { by: string; reason: string },
): Promise<number> {
  const runs = await deps.store.runs.unfinished(installationId, repositories);
  // No token can be had for the installation now: a run no worker holds ends here.
  for (const run of runs) await cancelRun(deps, run, stop, undefined, { unlessHeld: true });
  return runs.length;
}

function accountName(account: unknown): string {
  if (typeof account === "object" && account !== null) {
    const { login, slug, name } = account as { login?: unknown; slug?: unknown; name?: unknown };
    for (const value of [login, slug, name]) if (typeof value === "string") return value;
  }
  return "unknown";
}
