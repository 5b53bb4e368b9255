// Transaction admission budget: how much validation work each peer may make this node do. One
// token bucket per peer identity (a reconnect does not refill it), bounded in count; a transaction
// a peer sends past its budget is dropped before any check (not remembered as rejected, so another
// peer can still supply it), and announcements past it are not fetched at all.

export interface TxAdmissionLimits {
  /** Transactions a peer may have validated in a burst. */
  burst: number;
  /** One more token every this many ms (default 20 ms: 50 txs/s per peer at ~0.4 ms each). */
  refillEveryMs: number;
  /** Peers remembered; the least recently active is forgotten first (it starts full again). */
  maxPeers: number;
}

export const DEFAULT_TX_ADMISSION: Readonly<TxAdmissionLimits> = Object.freeze({ burst: 500, refillEveryMs: 20, maxPeers: 1_000 });

interface Bucket {
  tokens: number;
  at: number;
}

export class TxAdmissionBudget {
  readonly limits: Readonly<TxAdmissionLimits>;
  private readonly buckets = new Map<string, Bucket>();

  constructor(limits: Partial<TxAdmissionLimits> = {}, private readonly now: () => number = Date.now) {
    this.limits = { ...DEFAULT_TX_ADMISSION, ...limits };
  }

  /** Whole tokens the peer has now (no spending). */
  available(peerId: string): number {
    return Math.floor(this.bucket(peerId).tokens);
  }

  /** Spends one token when there is one: true means "validate it". */
  take(peerId: string): boolean {
    const b = this.bucket(peerId);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  get size(): number {
    return this.buckets.size;
  }

  private bucket(peerId: string): Bucket {
    const now = this.now();
    let b = this.buckets.get(peerId);
    if (b) {
      const every = this.limits.refillEveryMs;
      b.tokens = Math.min(this.limits.burst, b.tokens + (every > 0 ? (now - b.at) / every : Infinity));
      b.at = now;
      this.buckets.delete(peerId); // re-inserted below: Map order is least recently used first
    } else b = { tokens: this.limits.burst, at: now };
    this.buckets.set(peerId, b);
    if (this.buckets.size > this.limits.maxPeers) this.buckets.delete(this.buckets.keys().next().value!);
    return b;
  }
}
