// Serving peers' requests: getheaders (up to 2,000 headers from a main-chain header cache, disk
// only on a miss), getdata (bodies: blocks from the store, at most a small batch per message; txs
// from the mempool in memory), and the legacy getblocks (reading stops once the reply is full).
// Every reply is bounded in items and bytes before the store is touched.
import type { Chain, ConnectedBlockEvent, ReorgEvent } from '../chain/index.js';
import { encodeHeader, encodeTx, HEADER_BYTES } from '../core/index.js';
import { toHex } from '../crypto/index.js';
import type { Mempool } from '../mempool/index.js';
import { MAX_BLOCKS_PER_MSG, MAX_HEADERS_PER_MSG, type InvItem, type Message, type P2PNetwork, type Peer } from '../p2p/index.js';
import { silentLogger, type Logger } from '../log/index.js';

/** Block bodies served per getdata (twice the requester's in-flight cap): the rest are ignored. */
export const MAX_GETDATA_BLOCKS = 32;
/** Transactions served per getdata. */
export const MAX_GETDATA_TXS = 1_000;

/** Main-chain headers by height, filled as blocks connect and on reads; reorgs cut it back. */
class HeaderCache {
  private readonly byHeight = new Map<number, { idHex: string; bytes: Uint8Array }>();
  constructor(private readonly max: number) {}
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
  private started = false;

  private readonly onMessage = (peer: Peer, m: Message): void => {
    const run = (p: Promise<void>): void => void p.catch((e: unknown) => this.log.error('serving failed', { kind: m.kind, err: String(e) }));
    if (m.kind === 'getheaders') run(this.onGetHeaders(peer, m.locator, m.stop));
    else if (m.kind === 'getdata') run(this.onGetData(peer, m.items));
    else if (m.kind === 'getblocks') run(this.onGetBlocks(peer, m.locator));
  };
  private readonly onBlock = (e: ConnectedBlockEvent): void => this.headers.set(e.height, e.id, encodeHeader(e.block.header));
  private readonly onReorg = (e: ReorgEvent): void => this.headers.cutAbove(e.forkHeight);

  constructor(private readonly chain: Chain, private readonly mempool: Mempool, private readonly net: P2PNetwork, logger: Logger = silentLogger, cacheSize = 100_000) {
    this.log = logger.child({ module: 'serving' });
    this.headers = new HeaderCache(cacheSize);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.net.on('message', this.onMessage);
    this.chain.on('block', this.onBlock);
    this.chain.on('reorg', this.onReorg);
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    this.net.off('message', this.onMessage);
    this.chain.off('block', this.onBlock);
    this.chain.off('reorg', this.onReorg);
  }

  /** Height after the first locator entry on our main chain (0 when none is: start from genesis). */
  private async forkPoint(locator: Uint8Array[]): Promise<number> {
    for (const id of locator) {
      const e = await this.chain.entry(id);
      if (e && (await this.chain.isMain(e))) return e.height + 1;
    }
    return 0;
  }

  /** The main-chain header at `h`, from the cache or (once) from the store. */
  private async headerAt(h: number): Promise<{ idHex: string; bytes: Uint8Array } | undefined> {
    const hit = this.headers.get(h);
    if (hit) return hit;
    const id = await this.chain.store.getMainId(h);
    const body = id && (await this.chain.getBlockBytes(id));
    if (!id || !body) return undefined;
    const got = { idHex: toHex(id), bytes: body.slice(0, HEADER_BYTES) };
    this.headers.set(h, got.idHex, got.bytes);
    return got;
  }

  private async onGetHeaders(peer: Peer, locator: Uint8Array[], stop?: Uint8Array): Promise<void> {
    const start = await this.forkPoint(locator);
    const stopHex = stop && toHex(stop);
    const out: Uint8Array[] = [];
    const end = Math.min(this.chain.tip.height, start + MAX_HEADERS_PER_MSG - 1);
    for (let h = start; h <= end; h++) {
      const got = await this.headerAt(h);
      if (!got) break;
      out.push(got.bytes);
      if (got.idHex === stopHex) break;
    }
    this.net.send(peer, { kind: 'headers', headers: out });
  }

  private async onGetData(peer: Peer, items: InvItem[]): Promise<void> {
    const missing: InvItem[] = [];
    let blocks = 0;
    let txs = 0;
    for (const it of items) {
      if (!peer.connected) return;
      if (it.type === 'block') {
        if (++blocks > MAX_GETDATA_BLOCKS) continue;
        const bytes = await this.chain.getBlockBytes(it.id);
        if (bytes) this.net.send(peer, { kind: 'block', bytes });
        else missing.push(it);
      } else {
        if (++txs > MAX_GETDATA_TXS) continue;
        const e = this.mempool.get(toHex(it.id));
        if (e) this.net.send(peer, { kind: 'tx', bytes: encodeTx(e.tx) });
        else missing.push(it);
      }
    }
    if (missing.length && peer.connected) this.net.send(peer, { kind: 'notfound', items: missing });
  }

  /** Legacy full-block sync: main-chain bodies after the locator, reading stops once the reply is full. */
  private async onGetBlocks(peer: Peer, locator: Uint8Array[]): Promise<void> {
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
    this.net.send(peer, { kind: 'blocks', blocks: out });
  }
}
