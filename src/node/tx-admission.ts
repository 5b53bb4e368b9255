// Transaction admission budget: how much validation work each peer may make this node do. One
// token bucket per peer identity (a reconnect does not refill it), bounded in count; a transaction
// a peer sends past its budget is dropped before any check (not remembered as rejected, so another
// peer can still supply it), and announcements past it are not fetched at all.
import { KeyedTokenBuckets, monotonicNow } from '../core/index.js';

export interface TxAdmissionLimits {
  /** Transactions a peer may have validated in a burst. */
  burst: number;
  /** One more token every this many ms (default 20 ms: 50 txs/s per peer at ~0.4 ms each). */
  refillEveryMs: number;
  /** Peers remembered; the least recently active is forgotten first (it starts full again). */
  maxPeers: number;
}

export const DEFAULT_TX_ADMISSION: Readonly<TxAdmissionLimits> = Object.freeze({ burst: 500, refillEveryMs: 20, maxPeers: 1_000 });

export class TxAdmissionBudget {
  readonly limits: Readonly<TxAdmissionLimits>;
  private readonly buckets: KeyedTokenBuckets;

  constructor(limits: Partial<TxAdmissionLimits> = {}, private readonly now: () => number = monotonicNow) {
    this.limits = { ...DEFAULT_TX_ADMISSION, ...limits };
    const every = this.limits.refillEveryMs;
    this.buckets = new KeyedTokenBuckets({ burst: this.limits.burst, perSecond: every > 0 ? 1000 / every : Infinity }, this.limits.maxPeers);
  }

  /** Whole tokens the peer has now (no spending). */
  available(peerId: string): number {
    return Math.floor(this.buckets.tokens(peerId, this.now()));
  }

  /** Spends one token when there is one: true means "validate it". */
  take(peerId: string): boolean {
    return this.buckets.take(peerId, this.now());
  }

  get size(): number {
    return this.buckets.size;
  }
}
