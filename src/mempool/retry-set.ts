// Transactions returned by a reorg that failed only for funds (they spend money the disconnected
// branch paid them, and the paying transaction is pending again). They wait here, bounded in
// count and in blocks, and are offered to the pool again after every block.
import type { TransferTx } from '../core/index.js';

interface Waiting {
  tx: TransferTx;
  /** Blocks left before it is given up. */
  blocksLeft: number;
}

export class RetrySet {
  private readonly byId = new Map<string, Waiting>();

  constructor(private readonly maxCount: number, private readonly blocks: number) {}

  get size(): number {
    return this.byId.size;
  }
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Keeps `tx`; when full, the entry closest to giving up goes first (oldest in). */
  add(id: string, tx: TransferTx): void {
    if (this.byId.has(id)) return;
    if (this.byId.size >= this.maxCount) this.byId.delete(this.byId.keys().next().value!);
    this.byId.set(id, { tx, blocksLeft: this.blocks });
  }

  delete(id: string): void {
    this.byId.delete(id);
  }

  /** All waiting transactions (oldest first) after counting one more block; the expired ones are dropped. */
  afterBlock(): { id: string; tx: TransferTx }[] {
    const out: { id: string; tx: TransferTx }[] = [];
    for (const [id, w] of this.byId) {
      if (--w.blocksLeft < 0) this.byId.delete(id);
      else out.push({ id, tx: w.tx });
    }
    return out;
  }
}
