// Deliveries refused for load (503), asked of GitHub again: the ingress notes each refused id,
// and once it has room (a `kick`) or on a periodic sweep, Stamina looks the ids up in GitHub's
// list of the app's deliveries and asks for a new attempt of each one GitHub lists as failed.
// The noted id came in an unauthenticated header, so it is only a hint: an id GitHub does not
// list is forgotten after a few looks, one GitHub delivered since is forgotten at once, and
// nothing is asked of GitHub for an id it does not list. Tries are bounded, with backoff; then
// a warning names the delivery and what the operator can do.
import type { GitHubClients } from "../github/client.ts";
import type { Logger } from "../observability/logger.ts";
import type { Store } from "../store/store.ts";

export interface RedeliveryOptions {
  store: Store;
  /** A request as the app (its JWT): `clients.appRequest`. */
  request: GitHubClients["appRequest"];
  log: Logger;
  now?: () => number;
  /** The wait before the second try of a delivery; each next one waits twice as long. */
  backoffMs?: number;
  /** Tries of one delivery (looks and requests) before giving up on it. */
  maxAttempts?: number;
  /** How often the sweep runs without a kick. */
  sweepMs?: number;
  /** Pages of 100 deliveries read, newest first, in one sweep. */
  maxPages?: number;
  /** Notes read in one sweep (the ingress keeps no more than this many pending). */
  maxPending?: number;
}

export interface Redelivery {
  /** Sweeps soon (the ingress has room again); a kick during a sweep runs one more after it. */
  kick: () => void;
  /** One sweep, now. */
  sweep: () => Promise<void>;
  /** Starts the periodic sweep. */
  start: () => void;
  /** Stops it, once a sweep under way has ended. */
  stop: () => Promise<void>;
}

/** A delivery as GitHub lists it (the fields this module reads). */
interface HookDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  status_code: number;
}

interface Note {
  guid: string;
  refusedAt: string;
  attempts: number;
}

/** Looks for an id GitHub does not list, before it is forgotten (GitHub may list it late). */
const UNLISTED_LOOKS = 3;
/** How far before a note's refusal GitHub's list is read, for clocks that disagree. */
const CLOCK_SLACK_MS = 10 * 60_000;

export function createRedelivery(options: RedeliveryOptions): Redelivery {
  const { store, log, request } = options;
  const now = options.now ?? Date.now;
  const backoffMs = options.backoffMs ?? 30_000;
  const maxAttempts = options.maxAttempts ?? 6;
  const maxPages = options.maxPages ?? 10;
  const maxPending = options.maxPending ?? 1000;

  const due = (note: Note): boolean =>
    now() >= Date.parse(note.refusedAt) + backoffMs * (2 ** note.attempts - 1);

  const giveUp = async (note: Note, why: string): Promise<void> => {
    await store.deliveries.dropRedelivery(note.guid);
    log.warn(
      { deliveryId: note.guid, attempts: note.attempts },
      `delivery ${note.guid} was refused for load and ${why}; Stamina gave up asking for it: redeliver it from the app's Advanced settings page (Recent Deliveries)`,
    );
  };

  const unlisted = async (note: Note): Promise<void> => {
    if (note.attempts + 1 < UNLISTED_LOOKS) {
      await store.deliveries.redeliveryTried(note.guid);
      return;
    }
    await store.deliveries.dropRedelivery(note.guid);
    log.info(
      { deliveryId: note.guid },
      "GitHub lists no delivery with this id (anyone can send an id); its note is forgotten. If it was GitHub's, redeliver it from the app's Advanced settings page",
    );
  };

  const ask = async (note: Note, delivery: HookDelivery): Promise<void> => {
    try {
      await request("POST /app/hook/deliveries/{delivery_id}/attempts", {
        delivery_id: delivery.id,
      });
    } catch (error) {
      log.warn({ err: error, deliveryId: note.guid }, "GitHub refused to send a delivery again");
      await store.deliveries.redeliveryTried(note.guid);
      if (note.attempts + 1 >= maxAttempts) {
        await giveUp(note, `GitHub refused ${maxAttempts} times to send it again`);
      }
      return;
    }
    await store.deliveries.redeliveryRequested(note.guid, String(delivery.id));
    log.info(
      { deliveryId: note.guid, hookDeliveryId: delivery.id },
      "asked GitHub to send a delivery refused for load again",
    );
  };

  const sweep = async (): Promise<void> => {
    const notes = (await store.deliveries.awaitingRedelivery(maxPending)).filter(due);
    if (notes.length === 0) return;
    const since = Math.min(...notes.map((n) => Date.parse(n.refusedAt))) - CLOCK_SLACK_MS;
    const found = await find(request, maxPages, new Set(notes.map((n) => n.guid)), since);
    for (const note of notes) {
      const delivery = found.get(note.guid);
      if (delivery === undefined) await unlisted(note);
      else if (delivery.status_code >= 200 && delivery.status_code < 300) {
        // Delivered and answered since (an event Stamina does not store, say): nothing to ask.
        await store.deliveries.dropRedelivery(note.guid);
      } else if (note.attempts >= maxAttempts) {
        await giveUp(note, `was still not received after ${note.attempts} tries`);
      } else await ask(note, delivery);
    }
  };

  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = sweep()
      .catch((error: unknown) => {
        log.warn(
          { err: error },
          "could not ask GitHub for deliveries refused for load; will try again",
        );
      })
      .finally(() => {
        running = undefined;
        if (again) {
          again = false;
          run();
        }
      });
  };

  return {
    kick: run,
    sweep,
    start() {
      timer ??= setInterval(run, options.sweepMs ?? 60_000);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      timer = undefined;
      again = false;
      await running;
    },
  };
}

/** The newest delivery GitHub lists for each wanted guid, reading back to `since`. */
async function find(
  request: RedeliveryOptions["request"],
  maxPages: number,
  wanted: Set<string>,
  since: number,
): Promise<Map<string, HookDelivery>> {
  const found = new Map<string, HookDelivery>();
  let cursor: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const response = await request("GET /app/hook/deliveries", {
      per_page: 100,
      ...(cursor === undefined ? {} : { cursor }),
    });
    const items = response.data as HookDelivery[];
    for (const item of items) {
      if (wanted.has(item.guid) && !found.has(item.guid)) found.set(item.guid, item);
    }
    cursor = nextCursor(response.headers.link);
    const oldest = items.at(-1);
    const pastAll = oldest !== undefined && Date.parse(oldest.delivered_at) < since;
    if (found.size === wanted.size || cursor === undefined || pastAll) break;
  }
  return found;
}

/** The `cursor` of the Link header's next page, as GitHub paginates its deliveries. */
function nextCursor(link: string | undefined): string | undefined {
  const next = link?.split(",").find((part) => /rel="next"/.test(part));
  const url = next && /<([^>]+)>/.exec(next)?.[1];
  return url ? (new URL(url).searchParams.get("cursor") ?? undefined) : undefined;
}
