// The app's webhook as GitHub sends it: a target (`setWebhook`), deliveries signed and posted as
// GitHub posts them and recorded with what the app answered, and the two routes that list them
// (`GET /app/hook/deliveries`, newest first, paginated by `cursor` through the Link header) and
// send one again (`POST /app/hook/deliveries/{delivery_id}/attempts`: 202, then the recorded body
// posted anew with the same guid, recorded as a redelivery).
import { randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";
import { HttpError, notFound } from "./http-io.ts";
import type { RouteTable } from "./route.ts";
import type { FakeState } from "./state.ts";

/** One delivery as the fake recorded it: GitHub's list fields, and the exact body sent. */
export interface HookDeliveryRecord {
  id: number;
  guid: string;
  deliveredAt: number;
  redelivery: boolean;
  /** What the app answered; 0 when it could not be reached. */
  statusCode: number;
  event: string;
  action: string | null;
  installationId: number | null;
  repositoryId: number | null;
  body: string;
}

interface Target {
  url: string;
  secret: string;
}

class WebhookDeliveries {
  target: Target | undefined;
  readonly records: HookDeliveryRecord[] = [];
  /** Redeliveries posted after their 202, still under way. */
  readonly inFlight = new Set<Promise<unknown>>();
  private lastId = 0;

  constructor(private readonly state: FakeState) {}

  async post(
    guid: string,
    event: string,
    body: string,
    redelivery: boolean,
  ): Promise<HookDeliveryRecord> {
    const target = this.target;
    if (!target)
      throw new Error("no webhook is set: call github.setWebhook({ url, secret }) first");
    let statusCode = 0;
    try {
      const response = await fetch(target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "GitHub-Hookshot/fake",
          "x-github-event": event,
          "x-github-delivery": guid,
          "x-hub-signature-256": await sign(target.secret, body),
        },
        body,
      });
      statusCode = response.status;
      await response.arrayBuffer();
    } catch {
      statusCode = 0;
    }
    const payload = JSON.parse(body) as {
      action?: unknown;
      installation?: { id?: unknown };
      repository?: { id?: unknown };
    };
    this.lastId += 1;
    const record: HookDeliveryRecord = {
      id: this.lastId,
      guid,
      deliveredAt: this.state.now(),
      redelivery,
      statusCode,
      event,
      action: typeof payload.action === "string" ? payload.action : null,
      installationId: numberOrNull(payload.installation?.id),
      repositoryId: numberOrNull(payload.repository?.id),
      body,
    };
    this.records.push(record);
    return record;
  }
}

const numberOrNull = (value: unknown): number | null => (typeof value === "number" ? value : null);

const hooks = new WeakMap<FakeState, WebhookDeliveries>();

/** The fake's webhook deliveries, one set per fake GitHub. */
export function deliveriesOf(state: FakeState): WebhookDeliveries {
  let found = hooks.get(state);
  if (!found) {
    found = new WebhookDeliveries(state);
    hooks.set(state, found);
  }
  return found;
}

/** Signs and posts `payload` as a new delivery of `event`; what the app answered is recorded. */
export function deliver(
  state: FakeState,
  event: string,
  payload: unknown,
): Promise<HookDeliveryRecord> {
  return deliveriesOf(state).post(randomUUID(), event, JSON.stringify(payload), false);
}

const PER_PAGE_MAX = 100;
const CURSOR = /^v1_(\d+)$/;

const statusText = (code: number): string =>
  code === 0 ? "failed to connect" : code < 300 ? "OK" : `Invalid HTTP Response: ${code}`;

export const deliveryRoutes: RouteTable = {
  "GET /app/hook/deliveries": {
    auth: "jwt",
    handle: ({ world, query }) => {
      const perPage = Math.min(Number(query.per_page ?? 30) || 30, PER_PAGE_MAX);
      const newestFirst = [...deliveriesOf(world.state).records].reverse();
      let start = 0;
      if (query.cursor !== undefined) {
        const id = CURSOR.exec(query.cursor)?.[1];
        if (id === undefined) throw new HttpError(400, { message: "Invalid cursor" });
        start = newestFirst.findIndex((d) => d.id <= Number(id));
        if (start < 0) start = newestFirst.length;
      }
      const page = newestFirst.slice(start, start + perPage);
      const next = newestFirst[start + perPage];
      const headers: Record<string, string> = {};
      if (next) {
        const url = `${world.state.url}/api/v3/app/hook/deliveries?per_page=${perPage}&cursor=v1_${next.id}`;
        headers.link = `<${url}>; rel="next"`;
      }
      return {
        status: 200,
        headers,
        body: page.map((d) => ({
          id: d.id,
          guid: d.guid,
          delivered_at: world.state.iso(d.deliveredAt),
          redelivery: d.redelivery,
          duration: 0.01,
          status: statusText(d.statusCode),
          status_code: d.statusCode,
          event: d.event,
          action: d.action,
          installation_id: d.installationId,
          repository_id: d.repositoryId,
          throttled_at: null,
        })),
      };
    },
  },

  "POST /app/hook/deliveries/{delivery_id}/attempts": {
    auth: "jwt",
    handle: ({ world, params }) => {
      const hookDeliveries = deliveriesOf(world.state);
      const original = hookDeliveries.records.find((d) => String(d.id) === params.delivery_id);
      if (!original) throw notFound();
      // GitHub answers at once and sends the delivery again after.
      const attempt = hookDeliveries.post(original.guid, original.event, original.body, true);
      hookDeliveries.inFlight.add(attempt);
      void attempt.finally(() => hookDeliveries.inFlight.delete(attempt));
      return { status: 202, body: {} };
    },
  },
};
