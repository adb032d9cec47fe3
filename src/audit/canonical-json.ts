// Canonical JSON: the one byte form of a value that the audit chain hashes.
// Keys are sorted at every depth and there is no whitespace, so the hash does
// not depend on the order in which a writer built an object; values follow
// JSON.stringify's rules, so an event hashes the same before and after a
// round trip through the store or a JSONL file.

/** Serialises `value` canonically; throws a TypeError on a value JSON cannot hold (a BigInt, a cycle). */
export function canonicalJson(value: unknown): string {
  return write(value, []) ?? "null";
}

function write(input: unknown, path: object[]): string | undefined {
  const value = hasToJSON(input) ? input.toJSON() : input;
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      throw new TypeError("canonical JSON cannot hold a BigInt");
    case "object":
      return value === null ? "null" : writeObject(value, path);
    default:
      // undefined, functions and symbols: dropped from objects, null in arrays, as JSON does.
      return undefined;
  }
}

function writeObject(value: object, path: object[]): string {
  if (path.includes(value)) throw new TypeError("canonical JSON cannot hold a cycle");
  const inner = [...path, value];
  if (Array.isArray(value)) {
    return `[${value.map((item: unknown) => write(item, inner) ?? "null").join(",")}]`;
  }
  const fields: string[] = [];
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record).sort()) {
    const text = write(record[key], inner);
    if (text !== undefined) fields.push(`${JSON.stringify(key)}:${text}`);
  }
  return `{${fields.join(",")}}`;
}

function hasToJSON(value: unknown): value is { toJSON: () => unknown } {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { toJSON?: unknown }).toJSON === "function"
  );
}
