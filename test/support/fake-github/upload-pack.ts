// What a git client asked of upload-pack, read from the request's pkt-lines
// (protocol v0 and v2): the objects it wants, how many it says it has
// (none on a first clone; a fetch into an existing repository names some),
// and the filter it asked for (`blob:none` for a partial clone).

export interface UploadPackRequest {
  /** `fetch` or `ls-refs` under protocol v2; `fetch` under v0. */
  command: string;
  /** The object ids asked for (commits for a clone or fetch; blobs for a partial clone's lazy fetch). */
  wants: string[];
  haves: number;
  filter: string | null;
  /** Bytes of the answer (the pack, for a fetch), counted as they are sent. */
  bytesOut: number;
}

export function parseUploadPack(body: Buffer): UploadPackRequest {
  const seen: UploadPackRequest = {
    command: "fetch",
    wants: [],
    haves: 0,
    filter: null,
    bytesOut: 0,
  };
  let at = 0;
  while (at + 4 <= body.length) {
    const length = Number.parseInt(body.subarray(at, at + 4).toString("latin1"), 16);
    if (!Number.isFinite(length)) break;
    // 0000 flush, 0001 delimiter, 0002 response end: no payload.
    if (length < 4) {
      at += 4;
      continue;
    }
    const line = body
      .subarray(at + 4, at + length)
      .toString("utf8")
      .replace(/\n$/, "");
    at += length;
    if (line.startsWith("command=")) seen.command = line.slice("command=".length);
    else if (line.startsWith("want ")) seen.wants.push(line.split(" ")[1] ?? "");
    else if (line.startsWith("have ")) seen.haves++;
    else if (line.startsWith("filter ")) seen.filter = line.slice("filter ".length);
  }
  return seen;
}
