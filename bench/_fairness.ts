// What the load benchmark reads from its runs' audit events: when each run was held by a worker
// (from its claim to its end or release), how many were held at once (in all and per
// installation), and how fairly the installations were served when their runs began.

/** A run held by a worker, from its claim to its end (ms). */
export interface Held {
  installation: number;
  from: number;
  to: number;
}

/** The first claim of a run: when its work began (ms). */
export interface Started {
  installation: number;
  at: number;
}

/**
 * The most runs held at the same moment, in all and per installation. A run that ends at the
 * moment another is claimed is not counted with it.
 */
export function peakHeld(held: readonly Held[]): {
  total: number;
  perInstallation: Map<number, number>;
} {
  const edges = held.flatMap((h) => [
    { at: h.from, installation: h.installation, delta: 1 },
    { at: h.to, installation: h.installation, delta: -1 },
  ]);
  edges.sort((a, b) => a.at - b.at || a.delta - b.delta);
  const now = new Map<number, number>();
  const perInstallation = new Map<number, number>();
  let total = 0;
  let peak = 0;
  for (const edge of edges) {
    const count = (now.get(edge.installation) ?? 0) + edge.delta;
    now.set(edge.installation, count);
    total += edge.delta;
    peak = Math.max(peak, total);
    perInstallation.set(
      edge.installation,
      Math.max(perInstallation.get(edge.installation) ?? 0, count),
    );
  }
  return { total: peak, perInstallation };
}

/**
 * The max-min fair shares of `total` among installations asking for `demands`: equal shares,
 * none given more than it asked for, what that leaves shared equally among the others.
 */
export function fairShares(
  demands: ReadonlyMap<number, number>,
  total: number,
): Map<number, number> {
  const shares = new Map<number, number>();
  let left = total;
  let open = [...demands.entries()].sort((a, b) => a[1] - b[1]);
  while (open.length > 0) {
    const level = left / open.length;
    const [installation, demand] = open[0]!;
    if (demand > level) {
      for (const [id] of open) shares.set(id, level);
      return shares;
    }
    shares.set(installation, demand);
    left -= demand;
    open = open.slice(1);
  }
  return shares;
}

/**
 * The load benchmark's fairness: at T, the moment half the runs had begun (the ⌈n/2⌉-th first
 * claim), the least any installation got of its fair share, min over installations of (its runs
 * begun by T) / (its max-min fair share of all runs begun by T, as fairShares gives it). 1: each
 * installation had at least its share; 0: one had nothing begun while half the work had.
 * `demands`: how many runs each installation asked for.
 */
export function fairness(
  started: readonly Started[],
  demands: ReadonlyMap<number, number>,
): number {
  if (started.length === 0) throw new Error("no run began: fairness has nothing to measure");
  const times = started.map((s) => s.at).sort((a, b) => a - b);
  const t = times[Math.ceil(times.length / 2) - 1]!;
  const begun = new Map<number, number>();
  for (const s of started) {
    if (s.at <= t) begun.set(s.installation, (begun.get(s.installation) ?? 0) + 1);
  }
  const total = [...begun.values()].reduce((sum, n) => sum + n, 0);
  const shares = fairShares(demands, total);
  return Math.min(...[...shares].map(([id, share]) => (begun.get(id) ?? 0) / share));
}
