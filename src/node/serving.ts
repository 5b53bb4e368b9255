// Serving peers' requests: getheaders (up to 2,000 headers from a main-chain header cache; misses
// in one range read of the store, not two awaited reads per height), getdata (bodies: any main-chain or stored block from the store, at most a small
// batch per message; txs from the mempool in memory, only those announced to that peer), and the legacy getblocks (reading stops once the reply is full).
// Every reply is bounded in items and bytes before the store is touched. getdata costs are bounded
// per request (items de-duplicated, a byte cap) and per peer over time (a byte bucket): a peer's
// getdatas are served one after another, and when its bucket is empty the rest waits for the refill
// instead of being refused, so an honest fast syncer is slowed, never charged (a notfound for a
// block it was promised would cost the requester's source points in sync). A peer's getheaders and
// getblocks are likewise answered one at a time from a bounded queue (an honest syncer has one out
// at a time), and getblocks bodies draw on the same byte bucket: a flood of them never holds more
// than one reply's reads and memory per peer. The newest headers are read into the cache at start.
import type { Chain, ConnectedBlockEvent, ReorgEvent } from '../chain/index.js';
import { encodeBlock, encodeHeader, encodeTx, monotonicNow, refill, type Block } from '../core/index.js';
import { toHex } from '../crypto/index.js';
import type { Mempool } from '../mempool/index.js';
import { MAX_BLOCKS_PER_MSG, MAX_HEADERS_PER_MSG, type InvItem, type Message, type P2PNetwork, type Peer } from '../p2p/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { StoreError } from '../store/index.js';

/** Block bodies served per getdata (twice the requester's in-flight cap): the rest are ignored. */
export const MAX_GETDATA_BLOCKS = 32;
/** Newest connected bodies kept encoded in memory: a new tip is asked for by every peer at once. */
const RECENT_BODIES = 8;
/** Transactions served per getdata. */
export const MAX_GETDATA_TXS = 1_000;

/** What serving bodies to one peer may cost. */
export interface ServingBudget {
  /** Body bytes sent for one getdata; items past it are ignored (an honest requester never asks this much at once). */
  maxGetdataBytes: number;
  /** Body bytes per second per peer (bucket refill), and the bucket size. */
  bytesPerSecond: number;
  burstBytes: number;
  /** getdata messages waiting per peer (served in order); more are dropped. */
  maxQueuedGetdata: number;
  /** getheaders / getblocks waiting per peer (answered in order, one at a time); more are dropped. */
  maxQueuedExchanges: number;
}

export const DEFAULT_SERVING_BUDGET: Readonly<ServingBudget> = {
  // 16 one-MiB blocks: the requester's in-flight cap times the largest block.
  maxGetdataBytes: 16 * 1024 * 1024,
  bytesPerSecond: 8 * 1024 * 1024,
  burstBytes: 32 * 1024 * 1024,
  maxQueuedGetdata: 64,
  maxQueuedExchanges: 8,
};

/** A per-peer queue: requests answered in order, one at a time, at most a bound waiting. */
interface SerialQueue {
  queued: number;
  tail: Promise<void>;
}

/** One peer's serving state: its byte bucket, its queue of getdatas and its queue of getheaders/getblocks. */
interface PeerServing {
  tokens: number;
  at: number;
  getdata: SerialQueue;
  exchanges: SerialQueue;
}

/** Main-chain headers by height, filled as blocks connect and on reads; reorgs cut it back. */
class HeaderCache {
  private readonly byHeight = new Map<number, { idHex: string; bytes: Uint8Array }>();
  constructor(readonly max: number) {}
  get(h: number): { idHex: string; bytes: Uint8Array } | undefined {
    return this.byHeight.get(h);
  }
  set(h: number, idHex: string, bytes: Uint8Array): void {
    this.byHeight.set(h, { idHex, bytes });
    if (this.byHeight.size > this.max) this.byHeight.delete(this.byHeight.keys().next().value!);
  }
  cutAbove(h: number): void {
    for (const k of [...this.byHeight.keys()]) if (k > h) this.byHeight.delete(k);
  }
  get size(): number {
    return this.byHeight.size;
  }
}

export class Serving {
  private readonly headers: HeaderCache;
  private readonly log: Logger;
  private readonly budget: ServingBudget;
  /** Per-peer serving state; dies with the Peer object, so it needs no cap of its own. */
  private readonly perPeer = new WeakMap<Peer, PeerServing>();
  /** Waits for a bucket refill, woken (and abandoned) on stop. */
  private readonly waits = new Map<NodeJS.Timeout, () => void>();
  private started = false;

  private readonly onMessage = (peer: Peer, m: Message): void => {
    if (m.kind === 'getheaders') this.enqueue(peer, 'exchanges', m.kind, () => this.onGetHeaders(peer, m.locator, m.stop));
    else if (m.kind === 'getdata') this.enqueue(peer, 'getdata', m.kind, (s) => this.onGetData(peer, m.items, s));
    else if (m.kind === 'getblocks') this.enqueue(peer, 'exchanges', m.kind, (s) => this.onGetBlocks(peer, m.locator, s));
  };
  /**
   * Recently connected bodies by id (relay: every peer fetches the new tip within milliseconds):
   * the bytes the connect stored when the event carries them, else encoded on the first request,
   * not on connect (a syncing node connects thousands of blocks nobody asks it for).
   */
  private readonly recent = new Map<string, { block?: Block; bytes?: Uint8Array }>();
  private readonly onBlock = (e: ConnectedBlockEvent): void => {
    this.headers.set(e.height, e.id, encodeHeader(e.block.header));
    // The bytes when the connect had them: a decoded block kept here outlives the young GC generation.
    this.recent.set(e.id, e.bytes ? { bytes: e.bytes } : { block: e.block });
    if (this.recent.size > RECENT_BODIES) this.recent.delete(this.recent.keys().next().value!);
  };
  /** Reorgs seen: a range read that spans one does not fill the cache. */
  private reorgs = 0;
  private readonly onReorg = (e: ReorgEvent): void => {
    this.reorgs++;
    this.headers.cutAbove(e.forkHeight);
  };

  constructor(
    private readonly chain: Chain,
    private readonly mempool: Mempool,
    private readonly net: P2PNetwork,
    logger: Logger = silentLogger,
    cacheSize = 100_000,
    budget: Partial<ServingBudget> = {},
  ) {
    this.log = logger.child({ module: 'serving' });
    this.budget = { ...DEFAULT_SERVING_BUDGET, ...budget };
    this.headers = new HeaderCache(cacheSize);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.net.on('message', this.onMessage);
    this.chain.on('block', this.onBlock);
    this.chain.on('reorg', this.onReorg);
    void this.warmHeaders().catch((e: unknown) => this.log.debug('header cache warm-up stopped', { err: String(e) }));
  }

  /** Main-chain headers held in memory (see HeaderCache). */
  get cachedHeaders(): number {
    return this.headers.size;
  }

  /**
   * The newest main-chain headers (one reply's worth) read into the cache at start, in one range
   * read: a restarted node answers its first getheaders from memory, as one that has run a while
   * does (Core loads its whole block index at start). Damage is left to the request that meets it
   * (it reports it); a reorg meanwhile leaves the cache alone.
   */
  private async warmHeaders(): Promise<void> {
    const tip = this.chain.tip.height;
    const from = Math.max(0, tip - Math.min(MAX_HEADERS_PER_MSG, this.headers.max) + 1);
    const reorgs = this.reorgs;
    const range = await this.chain.store.mainHeaders(from, tip - from + 1);
    if (!this.started || this.reorgs !== reorgs) return;
    for (const x of range.headers) if (!this.headers.get(x.height)) this.headers.set(x.height, toHex(x.id), x.bytes);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.net.off('message', this.onMessage);
    this.chain.off('block', this.onBlock);
    this.chain.off('reorg', this.onReorg);
    for (const [t, wake] of this.waits) {
      clearTimeout(t);
      wake();
    }
    this.waits.clear();
  }

  /** Height after the first locator entry on our main chain (0 when none is: start from genesis). */
  private async forkPoint(locator: Uint8Array[]): Promise<number> {
    for (const id of locator) {
      const e = await this.chain.entry(id);
      if (e && (await this.chain.isMain(e))) return e.height + 1;
    }
    return 0;
  }

  /**
   * Up to MAX_HEADERS_PER_MSG main-chain headers from height `start` (through `stop` when it comes
   * first), never past the tip: from the cache while it has them, the rest from one range read
   * (store.mainHeaders: an iterator over the height index and one multi-get of header records,
   * each checked against its id; bodies only for blocks stored before header records), which fills
   * the cache unless a reorg cut it meanwhile. Damage the read finds ends the reply there and is
   * reported through the chain (logged once, remembered so the next start heals it).
   */
  private async headersFrom(start: number, stop: Uint8Array | undefined): Promise<Uint8Array[]> {
    const stopHex = stop && toHex(stop);
    const out: Uint8Array[] = [];
    const end = Math.min(this.chain.tip.height, start + MAX_HEADERS_PER_MSG - 1);
    let h = start;
    for (; h <= end; h++) {
      const hit = this.headers.get(h);
      if (!hit) break;
      out.push(hit.bytes);
      if (hit.idHex === stopHex) return out;
    }
    if (h > end) return out;
    const reorgs = this.reorgs;
    const range = await this.chain.store.mainHeaders(h, end - h + 1, stop);
    const cache = this.reorgs === reorgs;
    for (const x of range.headers) {
      out.push(x.bytes);
      if (cache) this.headers.set(x.height, toHex(x.id), x.bytes);
    }
    const damaged = range.damaged;
    // A damaged body is reported by the chain's checked read; a damaged header record directly (its body may be whole).
    if (damaged?.record === 'block') await this.intactBlock(damaged.id);
    else if (damaged) this.chain.reportStoreDamage(`height ${damaged.height}: ${damaged.problem}`, `header:${toHex(damaged.id)}`, damaged.height);
    return out;
  }

  private async onGetHeaders(peer: Peer, locator: Uint8Array[], stop?: Uint8Array): Promise<void> {
    if (!this.started || !peer.connected) return;
    const headers = await this.headersFrom(await this.forkPoint(locator), stop);
    if (peer.connected) this.net.send(peer, { kind: 'headers', headers });
  }

  private stateOf(peer: Peer): PeerServing {
    let s = this.perPeer.get(peer);
    if (!s) {
      s = { tokens: this.budget.burstBytes, at: monotonicNow(), getdata: { queued: 0, tail: Promise.resolve() }, exchanges: { queued: 0, tail: Promise.resolve() } };
      this.perPeer.set(peer, s);
    }
    return s;
  }

  /**
   * Queues a request of one peer behind its earlier ones of the same queue: getdatas at most
   * `maxQueuedGetdata` waiting, getheaders/getblocks at most `maxQueuedExchanges`; more are dropped.
   */
  private enqueue(peer: Peer, which: 'getdata' | 'exchanges', kind: string, serve: (s: PeerServing) => Promise<void>): void {
    const s = this.stateOf(peer);
    const q = s[which];
    if (q.queued >= (which === 'getdata' ? this.budget.maxQueuedGetdata : this.budget.maxQueuedExchanges)) {
      this.log.debug('request dropped: queue full', { peer: peer.id.slice(0, 16), kind });
      return;
    }
    q.queued++;
    q.tail = q.tail
      .then(() => serve(s))
      .catch((e: unknown) => this.failed(kind, e))
      .finally(() => q.queued--);
  }

  /** Waits until the peer's bucket holds a byte (a body may take it negative); false when serving stopped or the peer left meanwhile. */
  private async takeBudget(peer: Peer, s: PeerServing): Promise<boolean> {
    const b = this.budget;
    for (;;) {
      if (!this.started || !peer.connected) return false;
      const now = monotonicNow(); // a rate: a wall-clock step must not refill or freeze it
      s.tokens = refill(s, { burst: b.burstBytes, perSecond: b.bytesPerSecond }, now);
      s.at = now;
      // At least a whole byte: refill during a disk read must not let the next body through.
      if (s.tokens >= 1) return true;
      const ms = Math.min(60_000, Math.ceil(((1 - s.tokens) * 1000) / b.bytesPerSecond) + 1);
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.waits.delete(t);
          resolve();
        }, ms);
        this.waits.set(t, resolve);
      });
    }
  }

  private async onGetData(peer: Peer, items: InvItem[], s: PeerServing): Promise<void> {
    const missing: InvItem[] = [];
    const asked = new Set<string>();
    let blocks = 0;
    let txs = 0;
    let bytes = 0;
    for (const it of items) {
      // Each body at most once per request: 1,000 copies of one id are one item.
      const key = `${it.type}:${toHex(it.id)}`;
      if (asked.has(key)) continue;
      asked.add(key);
      if (it.type === 'block' ? ++blocks > MAX_GETDATA_BLOCKS : ++txs > MAX_GETDATA_TXS) continue;
      if (!(await this.takeBudget(peer, s))) return;
      const body = it.type === 'block' ? (this.recentBytes(toHex(it.id)) ?? (await this.intactBlock(it.id))) : this.offeredTxBytes(peer, it.id);
      if (!body) {
        missing.push(it);
        continue;
      }
      if (bytes > 0 && bytes + body.length > this.budget.maxGetdataBytes) break;
      bytes += body.length;
      s.tokens -= body.length;
      if (!peer.connected) return;
      this.net.send(peer, it.type === 'block' ? { kind: 'block', bytes: body } : { kind: 'tx', bytes: body });
    }
    if (missing.length && peer.connected) this.net.send(peer, { kind: 'notfound', items: missing });
  }

  /** A recently connected body, encoded once (it was checked when it connected). */
  private recentBytes(idHex: string): Uint8Array | undefined {
    const r = this.recent.get(idHex);
    if (!r) return undefined;
    return (r.bytes ??= encodeBlock(r.block!));
  }

  /** A damaged body is not ours to serve: notfound (the chain logged and counted the damage). */
  private async intactBlock(id: Uint8Array): Promise<Uint8Array | undefined> {
    try {
      return await this.chain.getBlockBytes(id);
    } catch (e) {
      if (isDamage(e)) return undefined;
      throw e;
    }
  }

  /** Damage was logged once per block by the chain; a peer asking again must not log it again. */
  private failed(kind: string, e: unknown): void {
    if (isDamage(e)) this.log.debug('serving stopped at damage', { kind, err: String(e) });
    else this.log.error('serving failed', { kind, err: String(e) });
  }

  /**
   * A mempool tx, only if we announced it to this peer: otherwise a getdata would tell anyone
   * which txs we hold (mempool probing, linking a tx to its first node). The answer for the rest
   * is the same notfound as for a tx we do not have, and costs the asker nothing.
   */
  private offeredTxBytes(peer: Peer, id: Uint8Array): Uint8Array | undefined {
    if (!peer.wasTxOffered(id)) return undefined;
    const e = this.mempool.get(toHex(id));
    return e && encodeTx(e.tx);
  }

  /** Legacy full-block sync: main-chain bodies after the locator, reading stops once the reply is full. */
  private async onGetBlocks(peer: Peer, locator: Uint8Array[], s: PeerServing): Promise<void> {
    // The same byte bucket as getdata: a reply waits for it, then may take it below zero.
    if (!(await this.takeBudget(peer, s))) return;
    const start = await this.forkPoint(locator);
    const budget = this.net.limits.maxPayload - 64;
    const out: Uint8Array[] = [];
    let size = 4;
    for (let h = start; h <= this.chain.tip.height && out.length < MAX_BLOCKS_PER_MSG; h++) {
      const id = await this.chain.store.getMainId(h);
      const b = id && (await this.chain.getBlockBytes(id));
      if (!b || size + 4 + b.length > budget) break;
      size += 4 + b.length;
      out.push(b);
    }
    s.tokens -= size;
    if (peer.connected) this.net.send(peer, { kind: 'blocks', blocks: out });
  }
}

function isDamage(e: unknown): boolean {
  return e instanceof StoreError && e.reason === 'store-damaged';
}
