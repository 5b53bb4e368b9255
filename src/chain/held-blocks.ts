// Blocks a little too far in the future: held (bounded per source and in total) and retried when
// their time comes, instead of being dropped and fetched again. Beyond `maxHoldMs` past the drift
// bound a block is refused outright: nobody honest mines that far ahead.
import { blockId, type Block } from '../core/index.js';
import { toHex } from '../crypto/index.js';

export interface HeldLimits {
  maxCount: number;
  maxPerSource: number;
  /** How far past the drift bound a block may be and still be held. */
  maxHoldMs: number;
}

export const DEFAULT_HELD_LIMITS: HeldLimits = { maxCount: 64, maxPerSource: 8, maxHoldMs: 10 * 60_000 };

interface Held {
  block: Block;
  idHex: string;
  source: string;
  /** Local time at which the block is no longer too new. */
  dueAt: number;
}

export class HeldBlocks {
  private readonly byId = new Map<string, Held>(); // insertion order = age

  constructor(private readonly limits: HeldLimits = DEFAULT_HELD_LIMITS) {}

  get size(): number {
    return this.byId.size;
  }
  has(idHex: string): boolean {
    return this.byId.has(idHex);
  }

  /** True if there is room (or room made); false when `dueAt` is too far away to hold. */
  add(block: Block, source: string, dueAt: number, now: number): boolean {
    if (dueAt - now > this.limits.maxHoldMs) return false;
    const idHex = toHex(blockId(block));
    if (this.byId.has(idHex)) return true;
    // A source over its share evicts its own oldest; a full pool evicts the oldest of the largest
    // source, so one peer's flood never pushes out another peer's block.
    const mine = [...this.byId.values()].filter((h) => h.source === source);
    if (mine.length >= this.limits.maxPerSource) this.byId.delete(mine[0]!.idHex);
    else if (this.byId.size >= this.limits.maxCount) this.byId.delete(oldestOfLargest(this.byId.values()));
    this.byId.set(idHex, { block, idHex, source, dueAt });
    return true;
  }

  /** Removes and returns the blocks whose time has come, oldest first. */
  takeDue(now: number): { block: Block; source: string }[] {
    const out: { block: Block; source: string }[] = [];
    for (const h of [...this.byId.values()]) {
      if (h.dueAt > now) continue;
      this.byId.delete(h.idHex);
      out.push({ block: h.block, source: h.source });
    }
    return out;
  }

  /** The earliest due time, for the retry timer. */
  nextDue(): number | undefined {
    let min: number | undefined;
    for (const h of this.byId.values()) if (min === undefined || h.dueAt < min) min = h.dueAt;
    return min;
  }

  clear(): void {
    this.byId.clear();
  }
}

/** The oldest entry of the source holding the most entries (ties: the oldest such source). */
export function oldestOfLargest<T extends { idHex: string; source: string }>(entries: Iterable<T>): string {
  const counts = new Map<string, { n: number; oldest: string }>();
  for (const e of entries) {
    const c = counts.get(e.source);
    if (c) c.n++;
    else counts.set(e.source, { n: 1, oldest: e.idHex });
  }
  let best: { n: number; oldest: string } | undefined;
  for (const c of counts.values()) if (!best || c.n > best.n) best = c;
  return best!.oldest;
}
