// The ready pool: per sender, the transactions that can be mined next (nonces contiguous from the
// account's next nonce, each affordable after the ones before it). Only these count toward the
// pool's size and only these are selected for blocks. Kept incrementally: admission appends or
// replaces, confirmation shifts the head, eviction and expiry cut the tail.
import type { MempoolEntry } from './entry.js';
import { TailHeap } from './tail-heap.js';

export class ReadyPool {
  private readonly bySender = new Map<string, MempoolEntry[]>();
  private readonly byId = new Map<string, MempoolEntry>();
  private bytes = 0;
  /** Sender tails, worst first: eviction at a full pool costs O(log senders), not a scan. */
  private readonly tails = new TailHeap((e) => this.isTail(e));

  private isTail(e: MempoolEntry): boolean {
    const q = this.bySender.get(e.sender);
    return q !== undefined && q[q.length - 1] === e;
  }

  private tailChanged(sender: string): void {
    const q = this.bySender.get(sender);
    if (q?.length) this.tails.push(q[q.length - 1]!);
    this.tails.compact(() => this.liveTails(), this.bySender.size);
  }

  private *liveTails(): IterableIterator<MempoolEntry> {
    for (const q of this.bySender.values()) yield q[q.length - 1]!;
  }

  get size(): number {
    return this.byId.size;
  }
  get totalBytes(): number {
    return this.bytes;
  }
  get(id: string): MempoolEntry | undefined {
    return this.byId.get(id);
  }
  has(id: string): boolean {
    return this.byId.has(id);
  }
  /** A sender's queue in nonce order (read-only view). */
  queue(sender: string): readonly MempoolEntry[] {
    return this.bySender.get(sender) ?? [];
  }
  queues(): IterableIterator<readonly MempoolEntry[]> {
    return this.bySender.values();
  }
  senders(): string[] {
    return [...this.bySender.keys()];
  }
  values(): IterableIterator<MempoolEntry> {
    return this.byId.values();
  }

  /** Appends the sender's next nonce. */
  append(e: MempoolEntry): void {
    let q = this.bySender.get(e.sender);
    if (!q) this.bySender.set(e.sender, (q = []));
    const last = q[q.length - 1];
    if (last && last.tx.nonce + 1n !== e.tx.nonce) throw new Error(`ready pool: nonce ${e.tx.nonce} does not follow ${last.tx.nonce}`);
    q.push(e);
    this.byId.set(e.id, e);
    this.bytes += e.size;
    this.tailChanged(e.sender);
  }

  /** Replaces the entry at `index` of its sender's queue; returns the old one. */
  replaceAt(index: number, e: MempoolEntry): MempoolEntry {
    const q = this.bySender.get(e.sender);
    const old = q?.[index];
    if (!q || !old || old.tx.nonce !== e.tx.nonce) throw new Error('ready pool: replacement does not match');
    q[index] = e;
    this.byId.delete(old.id);
    this.byId.set(e.id, e);
    this.bytes += e.size - old.size;
    if (index === q.length - 1) this.tailChanged(e.sender);
    return old;
  }

  /** Removes the sender's entries from `index` on (a tail: no gap is left behind). */
  truncate(sender: string, index: number): MempoolEntry[] {
    const q = this.bySender.get(sender);
    if (!q || index >= q.length) return [];
    const cut = q.splice(index);
    for (const e of cut) this.forget(e);
    if (!q.length) this.bySender.delete(sender);
    else this.tailChanged(sender);
    return cut;
  }

  /** Removes the sender's first `count` entries (confirmed or stale). */
  shift(sender: string, count: number): MempoolEntry[] {
    const q = this.bySender.get(sender);
    if (!q || count <= 0) return [];
    const cut = q.splice(0, count);
    for (const e of cut) this.forget(e);
    if (!q.length) this.bySender.delete(sender);
    return cut;
  }

  private forget(e: MempoolEntry): void {
    this.byId.delete(e.id);
    this.bytes -= e.size;
  }

  /**
   * The eviction candidate: the sender tail with the lowest fee rate (newest on ties), never of
   * `except`. Only tails go, so eviction never leaves a gap. From the tail heap: a flood against
   * a full pool costs O(log senders) per transaction, not a scan of every sender.
   */
  worstTail(except?: string): MempoolEntry | undefined {
    return this.tails.worst(except);
  }
}
