// What a delivery is about and when it happened, read from its payload: the
// key that makes input act once (a comment acts once, whatever delivery id
// carries it), and the payload's own time that the freshness window judges
// (GitHub sends no timestamp header, and a delivery id says nothing of age).

export interface InputFacts {
  /** Unique per act: the same key under another delivery id is a replay. Null: not keyed. */
  key: string | null;
  /** ISO time the event happened, by the payload; null when the payload carries none. */
  at: string | null;
  /** Which field `at` was read from, for the words of a refusal. */
  field: string | null;
}

type Payload = Record<string, unknown>;

const NONE: InputFacts = { key: null, at: null, field: null };

/** The input key and time of an event Stamina handles; NONE for events it does not key. */
export function inputFacts(event: string, action: string | null, payload: Payload): InputFacts {
  const name = action === null ? event : `${event}.${action}`;
  const sender = `${String(object(payload.sender).login)}/${idOf(payload.sender)}`;
  switch (event) {
    case "issue_comment":
    case "pull_request_review_comment": {
      const comment = object(payload.comment);
      return facts(`${name}:${idOf(comment)}`, comment.created_at, "comment.created_at");
    }
    case "pull_request_review": {
      const review = object(payload.review);
      return facts(`${name}:${idOf(review)}`, review.submitted_at, "review.submitted_at");
    }
    case "issues":
    case "pull_request": {
      // A label added twice is two acts, told apart by the time GitHub stamped on the item.
      const item = object(event === "issues" ? payload.issue : payload.pull_request);
      const label =
        typeof object(payload.label).name === "string" ? object(payload.label).name : "";
      const at = item.updated_at;
      const where = `${String(object(payload.repository).full_name)}#${String(item.number)}`;
      return facts(
        `${name}:${where}:${String(label)}:${sender}:${String(at)}`,
        at,
        `${event === "issues" ? "issue" : "pull_request"}.updated_at`,
      );
    }
    default:
      // Installation events set state GitHub holds (idempotent): neither keyed nor aged.
      return NONE;
  }
}

function facts(key: string, at: unknown, field: string): InputFacts {
  const time = typeof at === "string" || typeof at === "number" ? toIso(at) : null;
  // A payload without the id it should carry is keyed by nothing rather than colliding with others.
  return { key: key.includes(":?") ? null : key, at: time, field: time === null ? null : field };
}

function toIso(at: string | number): string | null {
  // Older payloads carry seconds since the epoch; the rest, ISO 8601.
  const ms = typeof at === "number" ? at * 1000 : Date.parse(at);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

function object(value: unknown): Payload {
  return typeof value === "object" && value !== null ? (value as Payload) : {};
}

function idOf(value: unknown): string {
  const id = object(value).id;
  return typeof id === "number" || typeof id === "string" ? String(id) : "?";
}

/** How old the event is by its own time, in ms; negative when GitHub's clock runs ahead. */
export function ageOf(facts: InputFacts, now: number): number | null {
  return facts.at === null ? null : now - Date.parse(facts.at);
}
