// Liveness of table entries: one check per entry at a time, shared by revalidation (maintenance.ts)
// and ping-before-evict (a full bucket's least-recently-seen entry, when a newcomer arrives). Each
// used to send its own PING, with its own retries, to the same entry. A pass counts as a
// revalidation; a failure removes the entry once (a replacement takes its slot).
import { EVICT_PING_AFTER_MS, type Contact, type Entry, type RoutingTable } from './routing-table.js';
import type { Clock } from './transport.js';

/** What the checks need from their node. */
export interface LivenessHost {
  running(): boolean;
  /** PING (retried): the contact that answered, or undefined. */
  ping(host: string, port: number, idHex: string): Promise<Contact | undefined>;
  /** The entry failed its check: it leaves (after `maxFailures`, here 1). */
  failed(c: Contact, maxFailures: number): void;
}

export class Liveness {
  /** Entry id -> its check in flight (at most one per table entry). */
  private readonly checks = new Map<string, Promise<boolean>>();
  /** Bucket index -> when its last ping-before-evict went out (at most 257 keys). */
  private readonly evictPingAt = new Map<number, number>();

  constructor(private readonly table: RoutingTable, private readonly clock: Clock, private readonly node: LivenessHost) {}

  /** Is this entry alive? Joins the check in flight if there is one. A check cut short by our own stop counts against nobody. */
  check(e: Contact): Promise<boolean> {
    let check = this.checks.get(e.idHex);
    if (!check) {
      check = this.node.ping(e.host, e.port, e.idHex).then((alive) => {
        this.checks.delete(e.idHex);
        const entry = this.table.get(e.idHex);
        if (alive && entry) entry.checks++;
        else if (!alive && this.node.running()) this.node.failed(e, 1);
        return alive !== undefined;
      });
      this.checks.set(e.idHex, check);
    }
    return check;
  }

  /**
   * A newcomer found the bucket full: check its least-recently-seen entry, only when that one has
   * not been verified for a while (one that answered moments ago has just proved itself; each
   * newcomer used to cost a PING and a PONG to an entry verified seconds earlier). The newcomer
   * waits as a replacement. At most one such check per bucket per interval: when the oldest
   * answers, the next oldest is no more suspect, and a busy bucket 0 (half the network) pinged
   * every one of its k entries in turn as lookups brought newcomers (8 PINGs per lookup at 150 nodes).
   */
  bucketFull(oldest: Entry): void {
    const now = this.clock.monotonic();
    if (this.checks.has(oldest.idHex) || now - oldest.verifiedAt < EVICT_PING_AFTER_MS) return;
    const bucket = this.table.bucketIndex(oldest.id);
    if (now - (this.evictPingAt.get(bucket) ?? -Infinity) < EVICT_PING_AFTER_MS) return;
    this.evictPingAt.set(bucket, now);
    void this.check(oldest);
  }
}
