// The one request tracker: every question we put to a peer is recorded here, with its deadline, a
// per-peer in-flight cap and a bounded wait queue, and is cancelled when the peer goes. Two shapes:
// items (getdata by id: answered by a body or notfound, one peer per id at a time) and exchanges
// (getheaders / getblocks: answered in order by one headers / blocks reply). Expiry is reported as
// events; what a timeout costs the peer is the node's call.
import type { ExchangeKind, NetContext, RequestResult } from './config.js';
import { monotonicNow } from '../core/index.js';
import { idKey } from './lru.js';
import { encodeMessage, type InvItem, type InvType, type Message } from './messages.js';
import type { PendingExchange, Peer } from './peer.js';

/** Outstanding exchanges remembered per peer; more than this and the oldest is forgotten. */
const MAX_EXCHANGES_PER_PEER = 8;

export class RequestTracker {
  /** Which peer a body is being fetched from: the same body is not fetched twice at once. */
  private readonly fetching = new Map<string, Peer>();
  /** Transaction requests waiting in each peer's queue (their own, smaller bound). */
  private readonly queuedTxs = new WeakMap<Peer, number>();

  constructor(private readonly ctx: NetContext) {}

  get size(): number {
    return this.fetching.size;
  }

  /** Whether anyone is fetching this id now, and from whom. */
  fetchingFrom(id: Uint8Array | string): Peer | undefined {
    return this.fetching.get(idKey(id));
  }

  /**
   * Asks a peer for bodies (`getdata`) within its in-flight limits; the rest wait in its queue and
   * go out as answers (or notfound, or expiry) free slots. Ids already being fetched from anyone
   * are skipped, so one body is not downloaded twice at once.
   */
  request(peer: Peer, items: InvItem[]): RequestResult {
    const res: RequestResult = { sent: [], queued: [], skipped: [] };
    if (!peer.connected) return { ...res, skipped: [...items] };
    const now = monotonicNow();
    for (const it of items) {
      const k = idKey(it.id);
      if (this.fetching.has(k) || peer.inflight.has(k) || peer.queued.has(k)) res.skipped.push(it);
      else if (peer.inflightCount(it.type) < this.limit(it.type)) {
        this.track(peer, k, it, now);
        res.sent.push(it);
      } else if (peer.queue.length < this.ctx.limits.maxQueuedPerPeer && (it.type !== 'tx' || this.txsQueued(peer) < this.ctx.limits.maxQueuedTxsPerPeer)) {
        peer.queue.push(it);
        peer.queued.add(k);
        if (it.type === 'tx') this.queuedTxs.set(peer, this.txsQueued(peer) + 1);
        res.queued.push(it);
      } else res.skipped.push(it);
    }
    if (res.sent.length) this.ctx.write(peer, encodeMessage({ kind: 'getdata', items: res.sent }));
    return res;
  }

  /**
   * Asks `peer` for an item another peer is already fetching (a stalled request reassigned). The
   * first peer keeps its slot, so its late answer still counts as requested, not as junk.
   */
  reassign(peer: Peer, item: InvItem): boolean {
    const k = idKey(item.id);
    if (!peer.connected || peer.inflight.has(k) || peer.inflightCount(item.type) >= this.limit(item.type)) return false;
    peer.addInflight(k, item, monotonicNow());
    this.fetching.set(k, peer);
    this.ctx.write(peer, encodeMessage({ kind: 'getdata', items: [item] }));
    return true;
  }

  /** A raw getdata the node sent itself: its answers still count as requested. */
  noteGetdata(peer: Peer, items: InvItem[]): void {
    const now = monotonicNow();
    for (const it of items) this.track(peer, idKey(it.id), it, now);
  }

  /** A body or notfound for `k` arrived from this peer: frees the slot; false when we never asked. */
  answered(peer: Peer, k: string): boolean {
    if (!peer.takeInflight(k)) return false;
    if (this.fetching.get(k) === peer) this.fetching.delete(k);
    return true;
  }

  /** Cancels one request (e.g. to ask another peer); frees the slot as if answered. */
  cancel(peer: Peer, id: Uint8Array | string): boolean {
    const k = idKey(id);
    const ok = this.answered(peer, k);
    if (ok) this.pump(peer);
    return ok;
  }

  /** Moves queued requests into free in-flight slots. */
  pump(peer: Peer): void {
    if (!peer.connected || !peer.queue.length) return;
    const now = monotonicNow();
    const out: InvItem[] = [];
    const keep: InvItem[] = [];
    for (const it of peer.queue) {
      const k = idKey(it.id);
      if (this.ctx.seen.has(k) || this.fetching.has(k)) {
        peer.queued.delete(k); // arrived, or being fetched elsewhere, meanwhile
      } else if (peer.inflightCount(it.type) < this.limit(it.type)) {
        peer.queued.delete(k);
        this.track(peer, k, it, now);
        out.push(it);
      } else keep.push(it);
    }
    peer.queue.splice(0, peer.queue.length, ...keep);
    this.queuedTxs.set(peer, keep.reduce((n, it) => n + (it.type === 'tx' ? 1 : 0), 0));
    if (out.length) this.ctx.write(peer, encodeMessage({ kind: 'getdata', items: out }));
  }

  /** Records a getheaders/getblocks sent to the peer; `settle` gets the reply (or the failure). */
  openExchange(peer: Peer, kind: ExchangeKind, settle?: PendingExchange['settle']): void {
    peer.exchanges.push({ kind, at: monotonicNow(), settle });
    if (peer.exchanges.length > MAX_EXCHANGES_PER_PEER) peer.exchanges.shift()!.settle?.(undefined, 'overflow');
  }

  /**
   * A headers/blocks reply arrived: the open exchange it answers (now closed), or undefined when
   * we never asked. An awaited exchange is settled with the reply.
   */
  closeExchange(peer: Peer, kind: ExchangeKind, reply: Message): PendingExchange | undefined {
    const i = peer.exchanges.findIndex((e) => e.kind === kind);
    if (i < 0) return undefined;
    const [e] = peer.exchanges.splice(i, 1);
    e!.settle?.(reply);
    return e;
  }

  /** Expires this peer's overdue requests and exchanges (called by keep-alive's tick). */
  expire(peer: Peer, now: number): void {
    const timeout = this.ctx.limits.requestTimeoutMs;
    if (peer.inflight.size) {
      const expired: InvItem[] = [];
      for (const [k, e] of peer.inflight) {
        if (now - e.at < timeout) continue;
        expired.push(e.item);
        this.answered(peer, k);
      }
      if (expired.length) {
        this.ctx.emit('request:expired', peer, expired);
        this.pump(peer);
      }
    }
    while (peer.exchanges.length && now - peer.exchanges[0]!.at >= timeout && !peer.dropped) {
      const e = peer.exchanges.shift()!;
      e.settle?.(undefined, 'timeout');
      this.ctx.emit('exchange:expired', peer, e.kind);
    }
  }

  /** Cancels everything a dropped peer had in flight or queued. */
  dropped(peer: Peer): void {
    for (const k of peer.inflight.keys()) if (this.fetching.get(k) === peer) this.fetching.delete(k);
    peer.queue.length = 0;
    peer.queued.clear();
    this.queuedTxs.delete(peer);
    for (const e of peer.exchanges.splice(0)) e.settle?.(undefined, 'closed');
  }

  clear(): void {
    this.fetching.clear();
  }

  private track(peer: Peer, k: string, it: InvItem, now: number): void {
    peer.addInflight(k, it, now);
    if (!this.fetching.has(k)) this.fetching.set(k, peer);
  }

  private txsQueued(peer: Peer): number {
    return this.queuedTxs.get(peer) ?? 0;
  }

  private limit(type: InvType): number {
    return type === 'block' ? this.ctx.limits.maxInflightPerPeer : this.ctx.limits.maxInflightTxsPerPeer;
  }
}
