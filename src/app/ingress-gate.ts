// The ingress's bounds on unauthenticated input: a body past `maxBytes` is refused (413) with at
// most that much read, and past `maxReading` bodies being read at once a delivery is refused
// unread (503, Retry-After) and noted, so Stamina asks GitHub to send it again once there is
// room. The delivery id is only a hint (anyone can send one): the notes are capped in the store,
// malformed ids are not noted, and only GitHub's own list of deliveries is trusted later.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../observability/logger.ts";
import type { Store } from "../store/store.ts";
import { declaredTooLarge, readBoundedBody, refuseAndClose } from "./read-body.ts";

/** The settings' defaults (settings.ts), for an ingress built without them. */
const DEFAULT_MAX_BYTES = 2048 * 1024;
const DEFAULT_MAX_READING = 16;
/** Notes awaiting redelivery at once; past it a refused delivery is logged, not noted. */
const DEFAULT_MAX_PENDING = 1000;
/** How long GitHub is asked to wait before sending a delivery refused for load, in seconds. */
const RETRY_AFTER_SECONDS = "60";
/** A delivery id as GitHub writes one (a UUID); anything else is not worth a note. */
const GUID = /^[A-Za-z0-9-]{1,64}$/;

export interface ReadGateOptions {
  store: Store;
  log: Logger;
  maxBytes?: number;
  maxReading?: number;
  maxPendingRedeliveries?: number;
  /** Called when bodies being read drop to half the limit while notes were made. */
  onRoom?: () => void;
}

interface Delivery {
  id: string;
  name: string;
}

export interface ReadGate {
  /** The body, or undefined once the request was answered (refused) or the client went away. */
  read: (
    req: IncomingMessage,
    res: ServerResponse,
    delivery: Delivery,
  ) => Promise<string | undefined>;
}

export function createReadGate(options: ReadGateOptions): ReadGate {
  const { store, log } = options;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxReading = options.maxReading ?? DEFAULT_MAX_READING;
  const maxPending = options.maxPendingRedeliveries ?? DEFAULT_MAX_PENDING;
  let reading = 0;
  /** Notes were made since `onRoom` was last called. */
  let noted = false;
  /** Refusing for load since the ingress last had room (logged once per such stretch). */
  let refusing = false;
  /** The store's notes are at their cap: note nothing more until there is room again. */
  let notesFull = false;

  const roomAgain = (): void => {
    if (reading > Math.floor(maxReading / 2)) return;
    refusing = false;
    notesFull = false;
    if (!noted) return;
    noted = false;
    options.onRoom?.();
  };

  const tooLarge = (res: ServerResponse, delivery: Delivery): void => {
    log.warn(
      { deliveryId: delivery.id, event: delivery.name, maxBytes },
      "webhook refused: its body is larger than STAMINA_WEBHOOK_MAX_KB",
    );
    refuseAndClose(
      res,
      413,
      `The payload is larger than Stamina's limit of ${Math.floor(maxBytes / 1024)} KiB; the operator can raise it with STAMINA_WEBHOOK_MAX_KB.`,
    );
  };

  const note = async (delivery: Delivery): Promise<void> => {
    if (notesFull || !GUID.test(delivery.id)) return;
    if (await store.deliveries.refusedForLoad(delivery.id, maxPending)) {
      noted = true;
      roomAgain();
      return;
    }
    if (notesFull) return;
    notesFull = true;
    log.warn(
      { deliveryId: delivery.id, event: delivery.name, maxPending },
      `${maxPending} deliveries refused for load already await redelivery; this one and others until there is room are not noted: redeliver them from the app's Advanced settings page (Recent Deliveries)`,
    );
  };

  const refuseForLoad = (res: ServerResponse, delivery: Delivery): void => {
    refuseAndClose(
      res,
      503,
      `Stamina is reading ${maxReading} webhooks at once, its limit (STAMINA_WEBHOOK_READING); it will ask GitHub to send this delivery again.`,
      { "retry-after": RETRY_AFTER_SECONDS },
    );
    if (!refusing) {
      refusing = true;
      log.warn(
        { deliveryId: delivery.id, event: delivery.name, maxReading },
        "webhooks refused for load (503): as many bodies are being read as STAMINA_WEBHOOK_READING allows; they will be asked of GitHub again",
      );
    }
    note(delivery).catch((error: unknown) =>
      log.error(
        { err: error, deliveryId: delivery.id },
        "a delivery refused for load could not be noted",
      ),
    );
  };

  return {
    async read(req, res, delivery) {
      if (declaredTooLarge(req, maxBytes)) {
        tooLarge(res, delivery);
        return undefined;
      }
      if (reading >= maxReading) {
        refuseForLoad(res, delivery);
        return undefined;
      }
      reading += 1;
      let result;
      try {
        result = await readBoundedBody(req, maxBytes);
      } finally {
        reading -= 1;
        roomAgain();
      }
      if (result.ok) return result.body;
      if (result.reason === "too-large") tooLarge(res, delivery);
      return undefined;
    },
  };
}
