// PostgreSQL restarted under a running worker: a world of its own on a throwaway cluster
// (pg-cluster.ts, never the shared server), the server restarted while the worker waits for the
// model, while a command runs, while the pull request is opened and while the audit log's check
// run is written; the run must come out as the undisturbed one did.
import { startWorld } from "../support/world.ts";
import { Workers, requestHub } from "./injectors.ts";
import { differences, outcomeOf, type Outcome } from "./outcome.ts";
import { clusterUnavailable, startCluster } from "./pg-cluster.ts";

export async function restartsOfPostgres(
  reference: Outcome,
): Promise<{ faults: number; problems: string[] }> {
  const unavailable = clusterUnavailable();
  if (unavailable !== undefined) throw new Error(`PostgreSQL restarts: ${unavailable}`);
  const cluster = await startCluster();
  const world = await startWorld({ database: cluster.url });
  try {
    const hub = requestHub(world);
    const workers = new Workers(world);
    const url = await world.start("serve").webhookUrl();
    workers.start();
    const restarts: string[] = [];
    const restart = (where: string) => {
      cluster.restart();
      restarts.push(`PostgreSQL restarted ${where}`);
    };
    const issue = 1;
    let waited = false;
    hub.push((i, step) => {
      if (i === issue && step === 2 && !waited) {
        waited = true;
        restart("while the worker waits for the model in step 2");
      }
    });
    void world.stepThreeRunning(issue).then(() => {
      restart("while step 3's command runs");
      world.openGate(issue);
    });
    /** A fault GitHub's `beforeNext` runs: `action`, then the request is answered. */
    const then = (action: () => void) => () => Promise.resolve(action());
    world.github.beforeNext(
      "POST",
      /\/pulls$/,
      then(() => restart("while the pull request opens")),
    );
    world.github.beforeNext(
      "POST",
      /\/check-runs$/,
      then(() =>
        world.github.beforeNext(
          "POST",
          /\/check-runs$/,
          then(() => restart("while the audit log's check run is written")),
        ),
      ),
    );
    const labelled = await world.label(url, issue);
    if (labelled.status !== 202) throw new Error(`the webhook got ${labelled.status}`);
    const outcome = await outcomeOf(world, issue);
    console.log(`PostgreSQL restarts: ${restarts.length}\n  ${restarts.join("\n  ")}`);
    return { faults: restarts.length, problems: differences(reference, outcome) };
  } finally {
    await world.close();
    cluster.stop();
  }
}
