// The pool's state and its transitions: the ready pool, the gapped queue and the cached account
// of every sender they hold, kept consistent with each other (ready queues contiguous from the
// account nonce and affordable; nothing left behind a gap; the cache only for senders with
// entries). The Mempool service decides what to admit and when; this decides what follows.
// A reorg runs as one batch (Bitcoin Core's MaybeUpdateMempoolForReorg, then LimitMempoolSize):
// the caps are lifted while returned txs come back and gaps refill, then the pool is trimmed once
// by fee rate, and only what survived is announced.
import type { Account } from '../chain/index.js';
import type { MempoolEntry } from './entry.js';
import { GappedQueue } from './gapped-queue.js';
import { outbidsForEviction, type MempoolLimits } from './policy.js';
import { ReadyPool } from './ready-pool.js';

export interface PoolStateEvents {
  added(e: MempoolEntry): void;
  removed(e: MempoolEntry, why: string): void;
}

export class PoolState {
  readonly ready = new ReadyPool();
  readonly gapped: GappedQueue;
  /** Account state at the tip for every sender with ready or gapped entries. */
  readonly accounts = new Map<string, Account>();
  /** Entries made ready during a batch, announced when it ends if still ready (undefined: no batch). */
  private batchAdded: MempoolEntry[] | undefined;

  /** `now`: the monotonic clock the gapped queue times its entries on. */
  constructor(private readonly limits: Readonly<MempoolLimits>, private readonly events: PoolStateEvents, now: () => number) {
    this.gapped = new GappedQueue(limits.gappedMaxCount, limits.gappedPerSender, now);
  }

  /** True while a batch (a reorg) holds the caps open. */
  get batching(): boolean {
    return this.batchAdded !== undefined;
  }

  /** Lifts the caps: returned txs and the entries queued behind them come back before any trim. */
  beginBatch(): void {
    if (this.batchAdded) return;
    this.batchAdded = [];
    this.gapped.suspendCaps();
  }

  /**
   * Restores the caps: the ready pool loses its worst tails (lowest fee rate, any sender) until it
   * fits, then the gapped queue its furthest and oldest; then the survivors made ready in the batch
   * are announced. Work: one heap step per entry over the cap.
   */
  endBatch(): void {
    const added = this.batchAdded;
    if (!added) return;
    this.batchAdded = undefined;
    while (this.ready.size > this.limits.maxCount) {
      const worst = this.ready.worstTail();
      if (!worst) break;
      for (const e of this.ready.truncate(worst.sender, this.ready.queue(worst.sender).length - 1)) this.dropped(e, 'evicted');
      this.forgetIfEmpty(worst.sender);
    }
    for (const e of this.gapped.restoreCaps()) {
      this.dropped(e, 'evicted');
      this.forgetIfEmpty(e.sender);
    }
    for (const e of added) if (this.ready.get(e.id) === e) this.events.added(e);
  }

  /** Announces an entry that became ready in place (a replacement); in a batch, when it ends. */
  announceReady(e: MempoolEntry): void {
    if (this.batchAdded) this.batchAdded.push(e);
    else this.events.added(e);
  }

  /** Appends a checked entry, making room by evicting other senders' tails (in a batch: trimmed at its end). */
  appendReady(entry: MempoolEntry): boolean {
    if (this.batchAdded) {
      this.ready.append(entry);
      this.batchAdded.push(entry);
      return true;
    }
    while (this.ready.size >= this.limits.maxCount) {
      const worst = this.ready.worstTail(entry.sender);
      if (!worst || !outbidsForEviction(entry.feeRate, worst.feeRate, this.limits)) return false;
      for (const e of this.ready.truncate(worst.sender, this.ready.queue(worst.sender).length - 1)) this.dropped(e, 'evicted');
      this.forgetIfEmpty(worst.sender);
    }
    this.ready.append(entry);
    this.events.added(entry);
    return true;
  }

  /** Gapped entries whose gap has closed move into the ready pool (already verified). */
  promote(sender: string, acct: Account): void {
    for (;;) {
      const q = this.ready.queue(sender);
      const next = acct.nonce + BigInt(q.length);
      const e = this.gapped.take(sender, next);
      if (!e) break;
      let spend = e.tx.amount + e.tx.fee;
      for (const x of q) spend += x.tx.amount + x.tx.fee;
      if (acct.balance < spend) {
        this.dropped(e, 'insufficient-funds');
        break;
      }
      if (!this.appendReady(e)) {
        this.dropped(e, 'mempool-full');
        break;
      }
    }
    this.forgetIfEmpty(sender);
  }

  /** Drops the first ready entry the balance cannot cover, and every later one. */
  dropUnaffordable(sender: string, acct: Account): void {
    const i = firstUnaffordable(this.ready.queue(sender), acct.balance);
    for (const e of this.ready.truncate(sender, i)) this.dropped(e, 'insufficient-funds');
  }

  dropped(e: MempoolEntry, why: string): void {
    this.events.removed(e, why);
  }

  forgetIfEmpty(sender: string): void {
    if (!this.ready.queue(sender).length && !this.gapped.hasSender(sender)) this.accounts.delete(sender);
  }

  /**
   * Re-derives a sender's entries from its account at the tip: confirmed or conflicting nonces go,
   * the ready queue restarts at the account's nonce (anything not contiguous waits as gapped),
   * unaffordable entries go with their dependants, and closed gaps are promoted.
   */
  resyncSender(sender: string, acct: Account, confirmed: Set<string>): void {
    const q = [...this.ready.queue(sender)];
    this.ready.truncate(sender, 0);
    this.accounts.set(sender, acct);
    let expect = acct.nonce;
    for (const e of q) {
      if (e.tx.nonce < acct.nonce) this.dropped(e, confirmed.has(e.id) ? 'confirmed' : 'confirmed-or-stale');
      else if (e.tx.nonce === expect) {
        this.ready.append(e);
        expect++;
      } else if (e.tx.nonce >= acct.nonce + BigInt(this.limits.perSender)) {
        this.dropped(e, 'nonce-too-far');
      } else {
        // A reorg moved the account back: wait as gapped until the returned txs refill the gap.
        try {
          for (const x of this.gapped.add(e).evicted) this.dropped(x, 'evicted');
        } catch {
          this.dropped(e, 'gapped-full');
        }
      }
    }
    for (const e of this.gapped.ofSender(sender)) {
      if (e.tx.nonce < acct.nonce) {
        this.gapped.delete(e);
        this.dropped(e, confirmed.has(e.id) ? 'confirmed' : 'confirmed-or-stale');
      }
    }
    this.dropUnaffordable(sender, acct);
    this.promote(sender, acct);
  }

  /** Expired ready entries leave with their dependants; gapped entries expire on their own clock. */
  expire(now: number): void {
    for (const sender of this.ready.senders()) {
      const q = this.ready.queue(sender);
      const i = q.findIndex((e) => now - e.enteredAt > this.limits.lifetimeMs);
      if (i >= 0) for (const e of this.ready.truncate(sender, i)) this.dropped(e, 'expired');
      this.forgetIfEmpty(sender);
    }
    for (const e of this.gapped.expired(now, this.limits.gappedLifetimeMs)) {
      this.gapped.delete(e);
      this.dropped(e, 'expired');
      this.forgetIfEmpty(e.sender);
    }
    // The account cache holds only senders with entries (a sweep, in case a path missed one).
    for (const sender of [...this.accounts.keys()]) this.forgetIfEmpty(sender);
  }

}

/** Index of the first entry of `q` the balance cannot cover after the ones before it (q.length if none); `at` replaces q[index]. */
export function firstUnaffordable(q: readonly MempoolEntry[], balance: bigint, at?: { index: number; entry: MempoolEntry }): number {
  let spend = 0n;
  for (let i = 0; i < q.length; i++) {
    const e = at && at.index === i ? at.entry : q[i]!;
    spend += e.tx.amount + e.tx.fee;
    if (balance < spend) return i;
  }
  return q.length;
}
