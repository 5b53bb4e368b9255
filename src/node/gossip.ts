// Gossip handlers: what p2p messages mean for this node. Announce-then-fetch for blocks and txs,
// chain sync by locator in pipelined batches, orphan-parent fetches, and the translation of chain
// and mempool refusals into peer penalties (the chain itself never learns about peers).
import { EventEmitter } from 'node:events';
import { blockId, decodeBlock, decodeTx, encodeTx, txIdHex, blockIdHex, HEADER_BYTES, type Block } from '../core/index.js';
import { toHex, fromHex, sha256d } from '../crypto/index.js';
import type { Chain, ConnectedBlockEvent } from '../chain/index.js';
import { TX_REFUSALS_JUNK, TX_REFUSALS_MAY_BECOME_VALID, type Mempool, type MempoolEntry } from '../mempool/index.js';
import { MAX_BLOCKS_PER_MSG, LruSet, type P2PNetwork, type Peer, type Message, type InvItem } from '../p2p/index.js';
import { silentLogger, type Logger } from '../log/index.js';

/** Misbehaviour points per offence (DESIGN.md: consensus-invalid data bans at once). */
export const PENALTY = { invalidBlock: 100, invalidTx: 10, malformed: 20, unrequested: 5, junkTx: 1 } as const;
/** Tx refusals that prove the sender relayed junk (the rest can be honest races). */
const INVALID_TX_REASONS = new Set(['bad-signature', 'bad-chain-id', 'bad-amount', 'bad-kind', 'malformed', 'truncated', 'trailing-bytes']);
const BLOCK_INFLIGHT_PER_PEER = 16;
const REQUEST_TIMEOUT_MS = 30_000;

export interface GossipStats {
  /** Block bodies received (block messages + blocks inside sync batches). */
  bodiesReceived: number;
  /** Bodies received for a block we already had or were already receiving. */
  duplicateBodies: number;
  txsReceived: number;
}

export interface GossipEvents {
  'sync-progress': [{ height: number; target: number; blocksPerSec: number }];
  synced: [{ height: number }];
}

export class Gossip extends EventEmitter<GossipEvents> {
  readonly stats: GossipStats = { bodiesReceived: 0, duplicateBodies: 0, txsReceived: 0 };
  private readonly log: Logger;
  /** Block id -> when we asked (one peer at a time per block: bodies arrive once). */
  private readonly inflightBlocks = new Map<string, { peer: Peer; at: number }>();
  private readonly inflightTxs = new Map<string, number>();
  private readonly rejectedTxs = new LruSet(10_000);
  /** Which peer gave us a block, so its announcement skips it. */
  private readonly sources = new Map<string, Peer>();
  private syncPeer: Peer | undefined;
  private syncRequestedAt = 0;
  private syncStart = { time: 0, height: 0 };
  private lastProgressLog = 0;
  private processing: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  /**
   * Every decision runs on one queue, in arrival order: blocks of a batch connect in sequence, and
   * "fetch this announced block" never races "sync from this peer" (bodies arrive once).
   */
  private enqueue(what: string, fn: () => Promise<void>): void {
    this.processing = this.processing.then(fn).catch((e) => this.log.error('gossip handler failed', { err: String(e), what }));
  }
  private readonly onMessage = (peer: Peer, m: Message): void => this.enqueue(m.kind, () => this.handle(peer, m));
  private readonly onConnected = (peer: Peer): void => this.enqueue('connected', () => this.maybeSync(peer));
  private readonly onDisconnected = (peer: Peer): void => {
    for (const [id, f] of this.inflightBlocks) if (f.peer === peer) this.inflightBlocks.delete(id);
    if (this.syncPeer === peer) {
      this.syncPeer = undefined;
      this.enqueue('resync', () => this.pickSyncPeer());
    }
  };
  private readonly onBlock = (e: ConnectedBlockEvent): void => {
    this.inflightBlocks.delete(e.id);
    // Relay only what validated, and only the tip: a syncing node does not flood its history.
    if (this.syncPeer || e.height !== this.chain.tip.height) return;
    const src = this.sources.get(e.id);
    this.sources.delete(e.id);
    this.net.announce('block', [fromHex(e.id)], src);
    this.broadcastTip();
  };
  private readonly onTxAdded = (e: MempoolEntry): void => {
    const src = this.sources.get(e.id);
    this.sources.delete(e.id);
    this.net.announce('tx', [fromHex(e.id)], src);
  };

  constructor(private readonly chain: Chain, private readonly mempool: Mempool, private readonly net: P2PNetwork, logger: Logger = silentLogger) {
    super();
    this.log = logger.child({ module: 'gossip' });
  }

  get syncing(): boolean {
    return this.syncPeer !== undefined;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.net.on('message', this.onMessage);
    this.net.on('peer:connected', this.onConnected);
    this.net.on('peer:disconnected', this.onDisconnected);
    this.chain.on('block', this.onBlock);
    this.mempool.on('added', this.onTxAdded);
    this.timer = setInterval(() => this.housekeeping(), 2000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.net.off('message', this.onMessage);
    this.net.off('peer:connected', this.onConnected);
    this.net.off('peer:disconnected', this.onDisconnected);
    this.chain.off('block', this.onBlock);
    this.mempool.off('added', this.onTxAdded);
    clearInterval(this.timer);
    await this.processing.catch(() => {});
  }

  private broadcastTip(): void {
    const t = this.chain.tip;
    for (const p of this.net.peers()) this.net.send(p, { kind: 'tip', tip: { id: t.id, height: t.height, work: t.work } });
  }

  // ---- sync ----

  private async maybeSync(peer: Peer): Promise<void> {
    if (this.syncPeer || !peer.tip || peer.tip.work <= this.chain.tip.work) return;
    // A tip we have, or are already fetching after its inv, needs no sync round (and must not
    // arrive twice).
    const tipHex = toHex(peer.tip.id);
    if (this.inflightBlocks.has(tipHex) || (await this.chain.hasBlock(peer.tip.id))) return;
    if (!this.net.peers().includes(peer)) return;
    this.syncPeer = peer;
    this.syncStart = { time: Date.now(), height: this.chain.tip.height };
    this.log.info('sync started', { peer: peer.id.slice(0, 16), from: this.chain.tip.height, to: peer.tip.height });
    void this.requestBlocks(peer);
  }

  /** Runs on the queue (see enqueue). */
  private async pickSyncPeer(): Promise<void> {
    const best = this.net.peers().filter((p) => p.tip && p.tip.work > this.chain.tip.work).sort((a, b) => (b.tip!.work > a.tip!.work ? 1 : -1))[0];
    if (best) await this.maybeSync(best);
  }

  private async requestBlocks(peer: Peer, after?: Uint8Array): Promise<void> {
    const locator = await this.chain.locator();
    this.syncRequestedAt = Date.now();
    this.net.send(peer, { kind: 'getblocks', locator: after ? [after, ...locator.slice(0, 100)] : locator });
  }

  private async onBlocks(peer: Peer, blocks: Uint8Array[]): Promise<void> {
    if (peer !== this.syncPeer) {
      // Orphan-parent fetches also come back as `blocks`; anything else is unrequested.
      if (!blocks.length) return;
    }
    // Pipelining: a full batch means more follow; ask for them before validating this one.
    const last = blocks.length ? decodeLastId(blocks) : undefined;
    if (peer === this.syncPeer && blocks.length === MAX_BLOCKS_PER_MSG && last) void this.requestBlocks(peer, last);
    let next = decodeOrUndefined(blocks[0]);
    for (let i = 0; i < blocks.length; i++) {
      const block = next;
      next = decodeOrUndefined(blocks[i + 1]);
      // The next block's signatures are checked on worker threads while this one is applied.
      if (next) this.chain.preverify(next);
      const ok = await this.acceptBlock(peer, blocks[i]!, true, block);
      if (!ok) return;
    }
    if (peer === this.syncPeer) {
      this.logProgress(peer);
      if (blocks.length < MAX_BLOCKS_PER_MSG) {
        if (peer.tip && peer.tip.work > this.chain.tip.work && blocks.length > 0) return void this.requestBlocks(peer);
        this.syncPeer = undefined;
        this.log.info('sync finished', { height: this.chain.tip.height, tip: this.chain.tip.idHex });
        this.emit('synced', { height: this.chain.tip.height });
        this.net.announce('block', [this.chain.tip.id]);
        this.broadcastTip();
        await this.pickSyncPeer();
      }
    }
  }

  private logProgress(peer: Peer): void {
    const now = Date.now();
    const h = this.chain.tip.height;
    const target = Math.max(peer.tip?.height ?? h, h);
    const blocksPerSec = ((h - this.syncStart.height) / Math.max(1, now - this.syncStart.time)) * 1000;
    this.emit('sync-progress', { height: h, target, blocksPerSec });
    if (now - this.lastProgressLog > 2000) {
      this.lastProgressLog = now;
      this.log.info('syncing', { height: h, target, percent: Math.round((h / Math.max(1, target)) * 1000) / 10, blocksPerSec: Math.round(blocksPerSec) });
    }
  }

  // ---- blocks and txs ----

  /** Decodes and submits a block body; returns false when the peer was punished. */
  private async acceptBlock(peer: Peer, bytes: Uint8Array, requested: boolean, decoded?: Block): Promise<boolean> {
    const block = decoded ?? decodeOrUndefined(bytes);
    if (!block) {
      this.net.misbehave(peer, PENALTY.malformed, 'malformed-block');
      return false;
    }
    const id = blockIdHex(block);
    this.stats.bodiesReceived++;
    const asked = this.inflightBlocks.get(id);
    if (asked?.peer === peer) this.inflightBlocks.delete(id);
    else if (!requested) this.net.misbehave(peer, PENALTY.unrequested, 'unrequested-block');
    peer.markKnown(id);
    this.sources.set(id, peer);
    if (this.sources.size > 10_000) this.sources.delete(this.sources.keys().next().value!);
    const r = await this.chain.submitBlock(block, { source: peer.id });
    if (r.status === 'duplicate') this.stats.duplicateBodies++;
    if (r.status === 'orphan') {
      // Fetch the missing ancestors from whoever sent the orphan.
      void this.requestBlocks(peer);
    } else if (r.status === 'invalid') {
      if (r.reason === 'time-too-new') return true; // may become valid: hold off, no blame
      this.log.warn('invalid block from peer', { peer: peer.id.slice(0, 16), host: peer.host, id, reason: r.reason });
      this.net.misbehave(peer, PENALTY.invalidBlock, `invalid-block:${r.reason}`);
      return false;
    }
    return true;
  }

  private async handle(peer: Peer, m: Message): Promise<void> {
    switch (m.kind) {
      case 'tip':
        return this.maybeSync(peer);
      case 'inv':
        return this.onInv(peer, m.items);
      case 'getdata':
        return this.onGetData(peer, m.items);
      case 'block':
        await this.acceptBlock(peer, m.bytes, false);
        return;
      case 'tx':
        return this.onTx(peer, m.bytes);
      case 'getblocks': {
        const blocks = await this.chain.blocksAfter(m.locator, MAX_BLOCKS_PER_MSG);
        for (const b of blocks) peer.markKnown(sha256d(b.subarray(0, HEADER_BYTES)));
        this.net.send(peer, { kind: 'blocks', blocks });
        return;
      }
      case 'blocks':
        return this.onBlocks(peer, m.blocks);
      case 'notfound':
        for (const it of m.items) {
          const k = toHex(it.id);
          if (this.inflightBlocks.get(k)?.peer === peer) this.inflightBlocks.delete(k);
          this.inflightTxs.delete(k);
        }
        return;
      default:
        return;
    }
  }

  private async onInv(peer: Peer, items: InvItem[]): Promise<void> {
    const want: InvItem[] = [];
    const now = Date.now();
    let blocksInflight = [...this.inflightBlocks.values()].filter((f) => f.peer === peer).length;
    for (const it of items) {
      const k = toHex(it.id);
      peer.markKnown(k);
      if (it.type === 'block') {
        // While syncing, the sync batches bring blocks; fetching announced ones too would bring
        // bodies twice. Announcements past the sync peer's tip lead to the next sync round.
        if (this.syncPeer) continue;
        if (blocksInflight >= BLOCK_INFLIGHT_PER_PEER || this.inflightBlocks.has(k) || (await this.chain.hasBlock(it.id))) continue;
        this.inflightBlocks.set(k, { peer, at: now });
        blocksInflight++;
        want.push(it);
      } else {
        if (this.mempool.has(k) || this.inflightTxs.has(k) || this.rejectedTxs.has(k)) continue;
        if (await this.chain.getTx(it.id)) continue;
        this.inflightTxs.set(k, now);
        want.push(it);
      }
    }
    if (want.length) this.net.send(peer, { kind: 'getdata', items: want });
  }

  private async onGetData(peer: Peer, items: InvItem[]): Promise<void> {
    const missing: InvItem[] = [];
    for (const it of items.slice(0, 1000)) {
      const k = toHex(it.id);
      if (it.type === 'block') {
        const bytes = await this.chain.getBlockBytes(it.id);
        if (bytes) {
          peer.markKnown(k);
          this.net.send(peer, { kind: 'block', bytes });
        } else missing.push(it);
      } else {
        const e = this.mempool.get(k);
        if (e) {
          peer.markKnown(k);
          this.net.send(peer, { kind: 'tx', bytes: encodeTx(e.tx) });
        } else missing.push(it);
      }
    }
    if (missing.length) this.net.send(peer, { kind: 'notfound', items: missing });
  }

  private async onTx(peer: Peer, bytes: Uint8Array): Promise<void> {
    this.stats.txsReceived++;
    let tx;
    try {
      tx = decodeTx(bytes);
    } catch {
      return this.net.misbehave(peer, PENALTY.malformed, 'malformed-tx');
    }
    if (tx.kind !== 'transfer') return this.net.misbehave(peer, PENALTY.invalidTx, 'coinbase-relayed');
    const id = txIdHex(tx);
    peer.markKnown(id);
    if (!this.inflightTxs.delete(id)) this.net.misbehave(peer, 1, 'unrequested-tx');
    this.sources.set(id, peer);
    const r = await this.mempool.add(tx, peer.id);
    if (!r.accepted) {
      this.sources.delete(id);
      // Refusals that may turn valid (funds arrive, a gap closes) are not remembered.
      if (!TX_REFUSALS_MAY_BECOME_VALID.has(r.reason)) this.rejectedTxs.add(id);
      if (INVALID_TX_REASONS.has(r.reason)) this.net.misbehave(peer, PENALTY.invalidTx, `invalid-tx:${r.reason}`);
      else if (TX_REFUSALS_JUNK.has(r.reason)) this.net.misbehave(peer, PENALTY.junkTx, `junk-tx:${r.reason}`);
    }
  }

  private housekeeping(): void {
    const now = Date.now();
    for (const [id, f] of this.inflightBlocks) if (now - f.at > REQUEST_TIMEOUT_MS) this.inflightBlocks.delete(id);
    for (const [id, at] of this.inflightTxs) if (now - at > REQUEST_TIMEOUT_MS) this.inflightTxs.delete(id);
    if (this.syncPeer && now - this.syncRequestedAt > REQUEST_TIMEOUT_MS) {
      this.log.warn('sync peer stalled', { peer: this.syncPeer.id.slice(0, 16) });
      const stalled = this.syncPeer;
      this.syncPeer = undefined;
      this.net.disconnect(stalled, 'sync-stalled');
    }
    if (!this.syncPeer) this.enqueue('resync', () => this.pickSyncPeer());
  }
}

function decodeOrUndefined(bytes: Uint8Array | undefined): Block | undefined {
  if (!bytes) return undefined;
  try {
    return decodeBlock(bytes);
  } catch {
    return undefined;
  }
}

function decodeLastId(blocks: Uint8Array[]): Uint8Array | undefined {
  const last = decodeOrUndefined(blocks[blocks.length - 1]);
  return last ? blockId(last) : undefined;
}


