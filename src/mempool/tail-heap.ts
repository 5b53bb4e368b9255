// The eviction index of the ready pool: a binary min-heap of sender tails, worst first (lowest fee
// rate; on ties the newest). Lazy: a tail that stopped being one stays in the heap until it reaches
// the top, where the pool's `isTail` check discards it; the heap is rebuilt from the live tails
// when stale entries outnumber them, so it stays within a constant factor of the senders.
import { BinaryHeap } from '../core/index.js';
import type { MempoolEntry } from './entry.js';

/** True when `a` should be evicted before `b`. */
const worse = (a: MempoolEntry, b: MempoolEntry): boolean => a.feeRate < b.feeRate || (a.feeRate === b.feeRate && a.enteredAt > b.enteredAt);

export class TailHeap {
  private readonly heap = new BinaryHeap<MempoolEntry>(worse);

  constructor(private readonly isTail: (e: MempoolEntry) => boolean) {}

  get size(): number {
    return this.heap.size;
  }

  push(e: MempoolEntry): void {
    this.heap.push(e);
  }

  /** The worst live tail of a sender other than `except` (stale entries on the way are dropped). */
  worst(except?: string): MempoolEntry | undefined {
    const aside: MempoolEntry[] = [];
    let found: MempoolEntry | undefined;
    for (let top = this.heap.peek(); top; top = this.heap.peek()) {
      if (!this.isTail(top)) this.heap.pop();
      else if (top.sender === except) aside.push(this.heap.pop()!);
      else {
        found = top;
        break;
      }
    }
    for (const e of aside) this.heap.push(e);
    return found;
  }

  /** Rebuilds from the live tails when stale entries outnumber them (amortised O(1) per push). */
  compact(liveTails: () => Iterable<MempoolEntry>, live: number): void {
    if (this.heap.size <= 2 * live + 64) return;
    this.heap.clear();
    for (const e of liveTails()) this.heap.push(e);
  }
}
