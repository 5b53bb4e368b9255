// Transfers whose signatures already verified (Bitcoin Core's signature cache). A tx id commits to
// every signed field, the signature and the chain id, so a hit is as good as verifying again. The
// mempool fills it on admission, so a block of already-relayed txs skips their signatures.
import { txIdHex, type TransferTx } from '../core/index.js';

export class VerifiedSignatures {
  // Insertion-ordered: the oldest entries go first when full.
  private readonly ids = new Set<string>();

  constructor(private readonly max = 100_000) {
    if (!(max >= 1)) throw new RangeError(`expected max >= 1, got ${max}`);
  }

  /** Lookups that found a transfer already verified (the work this cache saved). */
  hits = 0;

  get size(): number {
    return this.ids.size;
  }

  has(tx: TransferTx): boolean {
    const hit = this.ids.has(txIdHex(tx));
    if (hit) this.hits++;
    return hit;
  }

  /** Only for a transfer whose signature was verified against its own signing bytes. */
  add(tx: TransferTx): void {
    const k = txIdHex(tx);
    if (this.ids.has(k)) return;
    if (this.ids.size >= this.max) this.ids.delete(this.ids.values().next().value!);
    this.ids.add(k);
  }
}
