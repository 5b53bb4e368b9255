// A bounded history of the reorgs this node made since it started (GET /api/reorgs, the fork view,
// the reorg counter in /api/stats and /metrics). A reorg of any depth keeps only the first and last
// few block ids of each side, so one deep reorg cannot make the log large.
import type { ReorgEvent } from '../chain/index.js';
import type { ReorgJson } from './types.js';

export const DEFAULT_REORG_HISTORY = 100;
/** Block ids kept per side of one reorg (the ends; the counts are always whole). */
export const REORG_IDS_KEPT = 16;

function ends(ids: string[]): string[] {
  if (ids.length <= REORG_IDS_KEPT) return [...ids];
  const half = REORG_IDS_KEPT / 2;
  return [...ids.slice(0, half), ...ids.slice(-half)];
}

export class ReorgLog {
  private readonly items: ReorgJson[] = [];
  private seen = 0;

  constructor(private readonly capacity = DEFAULT_REORG_HISTORY, private readonly now: () => number = Date.now) {}

  /** Reorgs recorded since start, including those the bounded history has since dropped. */
  get total(): number {
    return this.seen;
  }

  record(e: ReorgEvent): ReorgJson {
    const r: ReorgJson = {
      time: this.now(),
      forkHeight: e.forkHeight,
      depth: e.disconnected.length,
      // The chain lists disconnected blocks tip first and connected ones fork side first.
      oldTip: e.disconnected[0] ?? null,
      newTip: e.connected[e.connected.length - 1] ?? null,
      disconnectedCount: e.disconnected.length,
      connectedCount: e.connected.length,
      disconnected: ends(e.disconnected),
      connected: ends(e.connected),
      removedTxs: e.removedTxs.length,
    };
    this.seen++;
    this.items.push(r);
    if (this.items.length > this.capacity) this.items.shift();
    return r;
  }

  /** Newest first, at most `limit`. */
  list(limit = this.capacity): ReorgJson[] {
    return this.items.slice(-limit).reverse();
  }
}
