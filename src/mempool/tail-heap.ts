// The eviction index of the ready pool: a binary min-heap of sender tails, worst first (lowest fee
// rate; on ties the newest). Lazy: a tail that stopped being one stays in the heap until it reaches
// the top, where the pool's `isTail` check discards it; the heap is rebuilt from the live tails
// when stale entries outnumber them, so it stays within a constant factor of the senders.
import type { MempoolEntry } from './entry.js';

/** True when `a` should be evicted before `b`. */
const worse = (a: MempoolEntry, b: MempoolEntry): boolean => a.feeRate < b.feeRate || (a.feeRate === b.feeRate && a.addedAt > b.addedAt);

export class TailHeap {
  private a: MempoolEntry[] = [];

  constructor(private readonly isTail: (e: MempoolEntry) => boolean) {}

  get size(): number {
    return this.a.length;
  }

  push(e: MempoolEntry): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(a[i]!, a[p]!)) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  private pop(): MempoolEntry | undefined {
    const a = this.a;
    const top = a[0];
    const last = a.pop();
    if (a.length && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && worse(a[l]!, a[m]!)) m = l;
        if (r < a.length && worse(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top;
  }

  /** The worst live tail of a sender other than `except` (stale entries on the way are dropped). */
  worst(except?: string): MempoolEntry | undefined {
    const aside: MempoolEntry[] = [];
    let found: MempoolEntry | undefined;
    while (this.a.length) {
      const top = this.a[0]!;
      if (!this.isTail(top)) this.pop();
      else if (top.sender === except) aside.push(this.pop()!);
      else {
        found = top;
        break;
      }
    }
    for (const e of aside) this.push(e);
    return found;
  }

  /** Rebuilds from the live tails when stale entries outnumber them (amortised O(1) per push). */
  compact(liveTails: () => Iterable<MempoolEntry>, live: number): void {
    if (this.a.length <= 2 * live + 64) return;
    this.a = [];
    for (const e of liveTails()) this.push(e);
  }
}
