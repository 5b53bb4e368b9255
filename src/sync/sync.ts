// The sync service (headers-first, as Bitcoin Core since 0.10): it asks peers for headers by
// locator, checks them before any body is wanted, keeps each peer's proven best header, and fills
// the download window with bodies of the most-work header chain from every peer that proved it has
// them, connecting them in order. A peer's claimed work counts for nothing until its headers prove
// it. Refusals are reported through `onRefusal` with a reason; the node's penalty table prices them.
// Incoming bodies are bodies.ts's, headers peer-headers.ts's, the window's scheduling window.ts's.
import { EventEmitter } from 'node:events';
import type { Chain, ConnectedBlockEvent } from '../chain/index.js';
import { monotonicNow } from '../core/index.js';
import { toHex } from '../crypto/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { LruSet, MAX_HEADERS_PER_MSG, type InvItem, type Message, type P2PNetwork, type Peer } from '../p2p/index.js';
import { BodyIntake } from './bodies.js';
import type { SyncReason } from './errors.js';
import { HeaderTree, type HeaderNode } from './header-tree.js';
import { PeerHeaders } from './peer-headers.js';
import { RateMeter, type SyncProgress } from './progress.js';
import { DEFAULT_WINDOW_OPTIONS, DownloadWindow, type WindowOptions } from './window.js';

export interface SyncOptions {
  chain: Chain;
  net: P2PNetwork;
  logger?: Logger;
  /** Every refusal, once; the node's penalty table decides what it costs. */
  onRefusal?: (peer: Peer, reason: SyncReason, detail: string) => void;
  window?: Partial<WindowOptions>;
  /** Headers kept in memory ahead of the stored chain. */
  maxHeaders?: number;
  /** Headers a peer may send that do not (yet) beat our tip's work before it is refused (presync bound). */
  maxLowWorkHeadersPerPeer?: number;
  /** Unasked headers that do not connect before the announcer is refused. */
  maxStrayAnnouncements?: number;
  /** Housekeeping period: stall checks, pruning, progress. */
  tickMs?: number;
}

export interface SyncEvents {
  progress: [SyncProgress];
  synced: [{ height: number }];
}

export { MAX_BLOCK_INV_ITEMS } from './peer-headers.js';

/** Buffered bodies ahead of the head whose signatures are checked early (the chain keeps a few more). */
const PREVERIFY_AHEAD = 6;

export interface SyncStats {
  /** Block bodies received. */
  bodiesReceived: number;
  /** Bodies received that we already had or were already receiving. */
  duplicateBodies: number;
  headersReceived: number;
}

export class SyncService extends EventEmitter<SyncEvents> {
  readonly stats: SyncStats = { bodiesReceived: 0, duplicateBodies: 0, headersReceived: 0 };
  readonly tree: HeaderTree;
  readonly window: DownloadWindow;
  private readonly chain: Chain;
  private readonly net: P2PNetwork;
  private readonly log: Logger;
  private readonly recentlyStored = new LruSet(4_096);
  /** Bodies handed to the chain's early signature checks (a few ahead of the head at a time). */
  private readonly preverifyStarted = new LruSet(64);
  private readonly rate = new RateMeter();
  private path: { bestHex: string; nodes: HeaderNode[]; index: Map<string, number>; start: number } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private spawn: NodeJS.Immediate | undefined;
  private started = false;
  private scheduled = false;
  private draining = false;
  private wasSyncing = false;
  private lastLog = 0;
  private lastPrune = 0;
  private readonly headers: PeerHeaders;
  private readonly bodies: BodyIntake;

  constructor(private readonly opts: SyncOptions) {
    super();
    this.chain = opts.chain;
    this.net = opts.net;
    this.log = (opts.logger ?? silentLogger).child({ module: 'sync' });
    this.tree = new HeaderTree(opts.chain, opts.maxHeaders ?? 200_000);
    this.window = new DownloadWindow(opts.net, { ...DEFAULT_WINDOW_OPTIONS, maxInflightPerPeer: opts.net.limits.maxInflightPerPeer, ...opts.window });
    this.headers = new PeerHeaders({
      chain: opts.chain, net: opts.net, tree: this.tree, stats: this.stats,
      isKnown: (k) => this.recentlyStored.has(k) || k === this.chain.tip.idHex,
      isWanted: (k) => this.window.isWanted(k),
      refuse: (peer, reason, detail) => this.refuse(peer, reason, detail),
      schedule: () => this.schedule(),
      failed: (what, e) => this.failed(what, e),
      maxLowWork: opts.maxLowWorkHeadersPerPeer ?? 4 * MAX_HEADERS_PER_MSG,
      maxStrays: opts.maxStrayAnnouncements ?? 8,
    });
    this.bodies = new BodyIntake({
      chain: opts.chain, tree: this.tree, window: this.window, headers: this.headers, recentlyStored: this.recentlyStored, stats: this.stats,
      refuse: (peer, reason, detail) => this.refuse(peer, reason, detail),
      schedule: () => this.schedule(),
      failed: (what, e) => this.failed(what, e),
    });
  }

  private readonly onMessage = (peer: Peer, m: Message): void => {
    switch (m.kind) {
      case 'headers':
        return void this.headers.onHeaders(peer, m.headers, false).catch((e: unknown) => this.failed('headers', e));
      case 'block':
        return this.bodies.onBody(peer, m.bytes);
      case 'notfound':
        return this.bodies.onNotFound(peer, m.items);
      case 'tip':
        return void this.headers.evaluate(peer).catch((e: unknown) => this.failed('tip', e));
      default:
        return;
    }
  };
  private readonly onConnected = (peer: Peer): void => void this.headers.evaluate(peer).catch((e: unknown) => this.failed('connected', e));
  private readonly onDisconnected = (peer: Peer): void => {
    this.headers.gone(peer);
    this.window.peerGone(peer);
    this.schedule();
  };
  private readonly onExpired = (peer: Peer, items: InvItem[]): void => {
    for (const it of items) if (it.type === 'block' && this.window.requestedFrom(toHex(it.id)) === peer) this.window.release(toHex(it.id));
    this.schedule();
  };
  private readonly onChainBlock = (e: ConnectedBlockEvent): void => {
    this.tree.stored(e.id);
    this.recentlyStored.add(e.id);
  };

  start(): void {
    if (this.started) return;
    this.started = true;
    this.net.on('message', this.onMessage);
    this.net.on('peer:connected', this.onConnected);
    this.net.on('peer:disconnected', this.onDisconnected);
    this.net.on('request:expired', this.onExpired);
    this.chain.on('block', this.onChainBlock);
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 250);
    this.timer.unref();
    // A node at start almost always has blocks to fetch (Core starts its script-check threads at
    // init): the verify workers boot now, while peers are dialled and handshaken, not on the first
    // body (an isolate each, warmed by one check: 60-400 ms on a busy machine, during which the
    // first blocks were verified by this thread alone). Spawning blocks this thread for a few ms,
    // so it runs on the next turn rather than inside start().
    this.spawn = setImmediate(() => {
      this.spawn = undefined;
      if (this.started) this.chain.prepareToVerify();
    });
    for (const p of this.net.peers()) this.onConnected(p);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.net.off('message', this.onMessage);
    this.net.off('peer:connected', this.onConnected);
    this.net.off('peer:disconnected', this.onDisconnected);
    this.net.off('request:expired', this.onExpired);
    this.chain.off('block', this.onChainBlock);
    clearInterval(this.timer);
    if (this.spawn) clearImmediate(this.spawn);
    this.spawn = undefined;
    // Let an in-progress connect finish: the chain is closed after us.
    for (let i = 0; i < 200 && this.draining; i++) await new Promise((r) => setTimeout(r, 10));
  }

  /** True while a checked header chain with more work than our tip waits for bodies (or headers are being fetched for a claim above it). */
  get syncing(): boolean {
    const best = this.tree.best;
    if (best && best.height > this.chain.tip.height + 1) return true;
    return this.headers.askingAbove(this.chain.tip.work);
  }

  progress(): SyncProgress {
    const blocks = this.chain.tip.height;
    const headers = Math.max(blocks, this.tree.bestHeight);
    const rate = this.rate.perSec;
    let serving = 0;
    for (const l of this.window.loads.values()) if (l.inflight > 0) serving++;
    return {
      headers, blocks, peersServing: serving, blocksPerSec: Math.round(rate * 10) / 10,
      etaSeconds: headers > blocks && rate > 0 ? Math.round((headers - blocks) / rate) : headers > blocks ? null : 0,
      inflight: this.window.inflightCount, buffered: this.window.bufferedCount,
    };
  }

  /** The peer that delivered this block body, if we downloaded it. */
  sourceOf(idHex: string): Peer | undefined {
    return this.bodies.sourceOf(idHex);
  }

  /** Bodies each peer delivered (for the share figures). */
  servedBy(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [p, l] of this.window.loads) out.set(p.id, l.served);
    return out;
  }

  /** Block ids announced by `inv` (the relay hands them over): see PeerHeaders.onBlockInv. */
  onBlockInv(peer: Peer, ids: Uint8Array[]): void {
    this.headers.onBlockInv(peer, ids);
  }
  // ---------------------------------------------------------------- the window

  private schedule(): void {
    if (this.scheduled || !this.started) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private currentPath(): { nodes: HeaderNode[]; index: Map<string, number>; start: number } | undefined {
    const best = this.tree.best;
    if (!best) {
      this.path = undefined;
      return undefined;
    }
    if (this.path?.bestHex !== best.idHex) {
      const nodes = this.tree.pathTo(best);
      const index = new Map<string, number>();
      nodes.forEach((n, i) => index.set(n.idHex, i));
      this.path = { bestHex: best.idHex, nodes, index, start: 0 };
      this.window.retain((k) => index.has(k));
    }
    const p = this.path;
    while (p.start < p.nodes.length && !this.tree.get(p.nodes[p.start]!.idHex)) p.start++;
    return p;
  }

  private pump(): void {
    const p = this.currentPath();
    if (!p) return this.maybeFinished();
    if (!this.wasSyncing && this.syncing) {
      this.wasSyncing = true;
      this.log.info('sync started', { from: this.chain.tip.height, to: this.tree.bestHeight });
    }
    // In sync, the path is the one new tip: once its body is asked for, a window pass has nothing
    // to ask (a lone request is never moved; stalls are the timer's): O(1), not O(peers + window).
    const left = p.nodes.length - p.start;
    if (left > 1 || (left === 1 && !this.window.isWanted(p.nodes[p.start]!.idHex))) {
      const holders = this.headers.holders(p.index);
      const view = p.nodes.slice(p.start, p.start + this.window.opts.windowSize);
      this.window.fill(view, (i) => holders(p.start + i));
    }
    // Bodies that arrive while a block connects are checked now, not when that connect returns: the
    // workers verify them meanwhile (the first connects of a sync took 2-4x the median while the
    // next bodies waited, unverified, behind them). The body being connected is no longer buffered.
    if (this.draining) this.preverifyAhead(p, 0);
    void this.drain();
  }

  /**
   * Starts the signature checks of the buffered bodies just ahead of the head on the worker
   * threads, so they run while earlier blocks connect and later ones download, even while the
   * head itself is still on its way.
   */
  private preverifyAhead(p: { nodes: HeaderNode[]; start: number }, from: number): void {
    for (let j = from; j < from + PREVERIFY_AHEAD; j++) {
      const next = p.nodes[p.start + j];
      if (!next || this.preverifyStarted.has(next.idHex)) continue;
      const b = this.window.peek(next.idHex);
      if (!b) continue;
      // Once per body: each pass would hash its header again to find it already begun.
      this.preverifyStarted.add(next.idHex);
      this.chain.preverify(b);
    }
  }

  /** Connects buffered bodies in order, checking the next few on worker threads meanwhile. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    let connected = 0;
    try {
      for (;;) {
        const p = this.currentPath();
        const head = p?.nodes[p.start];
        if (!p || !head || !this.started) break;
        const got = this.window.take(head.idHex);
        if (!got) {
          this.preverifyAhead(p, 0);
          break;
        }
        this.preverifyAhead(p, 1);
        let r;
        try {
          // The checked headers prove this branch beats our tip: store it however far behind it starts.
          r = await this.chain.submitBlock(got.block, { source: got.peer.id, provenWork: this.tree.best?.work });
        } finally {
          this.window.settled(head.idHex);
        }
        // A block a little ahead of our clock is held by the chain and connects when its time comes.
        if (r.status === 'held' || r.status === 'low-work') break;
        if (r.status === 'invalid') {
          if (r.reason === 'time-too-new') break;
          this.tree.invalidate(head.idHex);
          this.refuse(got.peer, 'invalid-block', `${r.reason ?? 'invalid'}: ${r.message ?? ''}`);
          break;
        }
        this.recentlyStored.add(head.idHex);
        this.tree.stored(head.idHex);
        connected++;
        // Each connect opens the lookahead by one block: ask for it now, not when the buffer runs dry.
        this.schedule();
      }
    } finally {
      this.draining = false;
    }
    if (connected) this.schedule();
  }

  private maybeFinished(): void {
    if (!this.wasSyncing || this.syncing) return;
    this.wasSyncing = false;
    const t = this.chain.tip;
    this.log.info('sync finished', { height: t.height, tip: t.idHex });
    this.emit('synced', { height: t.height });
  }

  private tick(): void {
    const now = monotonicNow(); // stall timeouts and rates: durations
    const rate = this.rate.sample(this.chain.tip.height, now);
    const p = this.currentPath();
    // Also once synced: a peer still owing moved requests past the timeout is found all the same.
    const stallers = p ? this.window.checkStalls(p.nodes[p.start], this.headers.holders(p.index)(p.start), now) : this.window.checkStalls(undefined, [], now);
    for (const staller of stallers) this.refuse(staller, 'stalling', `held up the download window (${this.window.opts.maxStrikes} requests past the stall timeout)`);
    if (now - this.lastPrune > 10_000) {
      this.lastPrune = now;
      const keep = this.headers.bests();
      const best = this.tree.best;
      if (best) keep.push(best.idHex);
      this.tree.prune(keep);
    }
    if (this.syncing) {
      const prog = this.progress();
      this.emit('progress', prog);
      if (now - this.lastLog >= 2_000) {
        this.lastLog = now;
        this.log.info('syncing', { ...prog, blocksPerSec: Math.round(rate * 10) / 10 });
      }
    }
    this.pump();
  }

  private refuse(peer: Peer, reason: SyncReason, detail: string): void {
    this.log.debug('peer refused', { peer: peer.id.slice(0, 16), reason, detail });
    this.opts.onRefusal?.(peer, reason, detail);
  }

  private failed(what: string, e: unknown): void {
    this.log.error('sync handler failed', { what, err: String(e) });
  }
}
