// Gapped transactions: a nonce beyond the sender's next pending one. They cannot be mined until
// the gap closes, so they cost their sender nothing; they are held apart in a small queue that
// never counts toward, nor evicts from, the ready pool (Bitcoin Core's orphan pool). Bounded in
// total and per sender; each entry expires on its own clock, which starts when it enters the queue
// (a ready tx a reorg holds back here has waited for its gap for no time) and which a replacement
// keeps; a full queue drops the entry held longest.
// During a reorg the caps are suspended (txs wait here only until the returned nonces refill their
// gaps) and enforced again when it ends.
import type { MempoolEntry } from './entry.js';
import { MempoolError } from './policy.js';

export class GappedQueue {
  private readonly bySender = new Map<string, Map<bigint, MempoolEntry>>();
  private readonly byId = new Map<string, MempoolEntry>();
  /** When each entry entered the queue (monotonic ms), by id. */
  private readonly heldAt = new Map<string, number>();
  private capsSuspended = false;

  /** `now`: the monotonic clock the pool's lifetimes run on. */
  constructor(private readonly maxCount: number, private readonly perSender: number, private readonly now: () => number) {}

  /** Holds entries past the caps until `restoreCaps` (a reorg: the gaps are about to close). */
  suspendCaps(): void {
    this.capsSuspended = true;
  }

  /**
   * Enforces the caps again; returns what had to leave: per sender its highest nonces (furthest
   * from being mined), then the oldest entries while the queue is over its total.
   */
  restoreCaps(): MempoolEntry[] {
    this.capsSuspended = false;
    const out: MempoolEntry[] = [];
    for (const sender of this.senders()) {
      const mine = this.ofSender(sender);
      for (const e of mine.slice(this.perSender)) {
        this.delete(e);
        out.push(e);
      }
    }
    if (this.byId.size > this.maxCount) {
      const oldestFirst = [...this.byId.values()].sort((a, b) => this.heldSince(a) - this.heldSince(b));
      for (const e of oldestFirst.slice(0, this.byId.size - this.maxCount)) {
        this.delete(e);
        out.push(e);
      }
    }
    return out;
  }

  get size(): number {
    return this.byId.size;
  }
  has(id: string): boolean {
    return this.byId.has(id);
  }
  get(id: string): MempoolEntry | undefined {
    return this.byId.get(id);
  }
  at(sender: string, nonce: bigint): MempoolEntry | undefined {
    return this.bySender.get(sender)?.get(nonce);
  }
  hasSender(sender: string): boolean {
    return this.bySender.has(sender);
  }
  senders(): string[] {
    return [...this.bySender.keys()];
  }
  ofSender(sender: string): MempoolEntry[] {
    return [...(this.bySender.get(sender)?.values() ?? [])].sort((a, b) => (a.tx.nonce < b.tx.nonce ? -1 : 1));
  }

  /**
   * Holds `e` (replacing the same sender+nonce if present); returns what had to leave. A sender at
   * its cap gives up its highest nonce for a lower one (the lower is nearer to being mined);
   * otherwise the newcomer is refused. A full queue drops its oldest entry.
   */
  add(e: MempoolEntry): { replaced?: MempoolEntry; evicted: MempoolEntry[] } {
    const evicted: MempoolEntry[] = [];
    const replaced = this.at(e.sender, e.tx.nonce);
    const heldAt = replaced ? this.heldSince(replaced) : this.now();
    if (replaced) this.delete(replaced);
    else {
      const displaced = this.checkRoom(e);
      if (displaced) {
        this.delete(displaced);
        evicted.push(displaced);
      }
    }
    while (!this.capsSuspended && this.byId.size >= this.maxCount) {
      const oldest = this.oldest();
      if (!oldest) break;
      this.delete(oldest);
      evicted.push(oldest);
    }
    let m = this.bySender.get(e.sender);
    if (!m) this.bySender.set(e.sender, (m = new Map()));
    m.set(e.tx.nonce, e);
    this.byId.set(e.id, e);
    this.heldAt.set(e.id, heldAt);
    return replaced ? { replaced, evicted } : { evicted };
  }

  /**
   * Throws `gapped-full` when the sender is at its cap and `e` is not nearer than its highest
   * nonce; otherwise returns the entry `e` would displace, if any. Changes nothing.
   */
  checkRoom(e: MempoolEntry): MempoolEntry | undefined {
    const mine = this.bySender.get(e.sender);
    if (this.capsSuspended || !mine || mine.has(e.tx.nonce) || mine.size < this.perSender) return undefined;
    let highest: MempoolEntry | undefined;
    for (const x of mine.values()) if (!highest || x.tx.nonce > highest.tx.nonce) highest = x;
    if (!highest || highest.tx.nonce < e.tx.nonce) throw new MempoolError('gapped-full', `sender already has ${this.perSender} transactions waiting for a missing nonce`);
    return highest;
  }

  delete(e: MempoolEntry): boolean {
    if (!this.byId.delete(e.id)) return false;
    this.heldAt.delete(e.id);
    const m = this.bySender.get(e.sender);
    m?.delete(e.tx.nonce);
    if (m && !m.size) this.bySender.delete(e.sender);
    return true;
  }

  /** Removes and returns the entry at sender+nonce (the gap before it closed). */
  take(sender: string, nonce: bigint): MempoolEntry | undefined {
    const e = this.at(sender, nonce);
    if (e) this.delete(e);
    return e;
  }

  /** Entries whose own clock ran out. */
  expired(now: number, lifetimeMs: number): MempoolEntry[] {
    return [...this.byId.values()].filter((e) => now - this.heldSince(e) > lifetimeMs);
  }

  private heldSince(e: MempoolEntry): number {
    return this.heldAt.get(e.id) ?? e.enteredAt;
  }

  private oldest(): MempoolEntry | undefined {
    let o: MempoolEntry | undefined;
    for (const e of this.byId.values()) if (!o || this.heldSince(e) < this.heldSince(o)) o = e;
    return o;
  }
}
