// The download window: block bodies for the best header chain, fetched in parallel from every peer
// whose proven headers include them. At most `windowSize` blocks ahead of the first missing one
// are in flight or buffered, at most `maxInflightPerPeer` per peer, each request given to the peer
// with the shortest expected wait (in flight x its smoothed response time). A request that holds
// up the head of the window longer than an adaptive timeout is reassigned; a peer that does so
// `maxStrikes` times stalls the window and is reported.
import type { Block } from '../core/index.js';
import type { P2PNetwork, Peer } from '../p2p/index.js';
import type { HeaderNode } from './header-tree.js';

export interface WindowOptions {
  /** Blocks ahead of the first missing one (Core: 1,024). */
  windowSize: number;
  /** Block requests in flight per peer (DESIGN: 16). */
  maxInflightPerPeer: number;
  /** Floor of the adaptive head-of-window timeout. */
  stallMinMs: number;
  /** Reassignments of the window's head one peer may cause before it is reported as stalling. */
  maxStrikes: number;
}

export const DEFAULT_WINDOW_OPTIONS: Readonly<WindowOptions> = { windowSize: 1024, maxInflightPerPeer: 16, stallMinMs: 2_000, maxStrikes: 3 };

/** Per-peer download record. */
export interface PeerLoad {
  inflight: number;
  /** Smoothed response time of its block requests, ms. */
  ewmaMs: number;
  /** Bodies it delivered (for the share figures). */
  served: number;
  strikes: number;
}

interface Request {
  node: HeaderNode;
  peer: Peer;
  at: number;
  /** Peers this block was asked of before (a reassignment never goes back to them). */
  tried: Set<Peer>;
}

export class DownloadWindow {
  readonly loads = new Map<Peer, PeerLoad>();
  private readonly inflight = new Map<string, Request>();
  private readonly received = new Map<string, { block: Block; peer: Peer }>();
  /** Taken for connecting and not yet stored: not to be asked for again meanwhile. */
  private readonly connecting = new Set<string>();

  constructor(private readonly net: P2PNetwork, readonly opts: WindowOptions) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  get bufferedCount(): number {
    return this.received.size;
  }

  load(peer: Peer): PeerLoad {
    let l = this.loads.get(peer);
    if (!l) this.loads.set(peer, (l = { inflight: 0, ewmaMs: 200, served: 0, strikes: 0 }));
    return l;
  }

  isWanted(idHex: string): boolean {
    return this.inflight.has(idHex) || this.received.has(idHex) || this.connecting.has(idHex);
  }

  requestedFrom(idHex: string): Peer | undefined {
    return this.inflight.get(idHex)?.peer;
  }

  /**
   * Asks for every missing body in the window. `path` is the best header chain from its first
   * block not stored; `holders(i)` are the peers whose proven headers include path[i].
   */
  fill(path: HeaderNode[], holders: (i: number) => Peer[]): number {
    let asked = 0;
    const end = Math.min(path.length, this.opts.windowSize);
    for (let i = 0; i < end; i++) {
      const node = path[i]!;
      if (this.isWanted(node.idHex)) continue;
      const peer = this.pick(holders(i), new Set());
      if (!peer) continue;
      if (this.send(node, peer, new Set())) asked++;
    }
    return asked;
  }

  /** The body arrived from `peer`: frees the slot and buffers it. False when we never asked anyone. */
  arrived(idHex: string, peer: Peer, block: Block, now = Date.now()): boolean {
    const r = this.inflight.get(idHex);
    if (!r) return false;
    this.inflight.delete(idHex);
    const l = this.load(r.peer);
    l.inflight = Math.max(0, l.inflight - 1);
    if (r.peer === peer) {
      l.ewmaMs = l.ewmaMs * 0.8 + (now - r.at) * 0.2;
      l.strikes = 0;
    }
    this.load(peer).served++;
    this.received.set(idHex, { block, peer });
    return true;
  }

  /** A body nobody asked for but whose header checked out: buffered like a downloaded one. */
  offer(idHex: string, peer: Peer, block: Block): void {
    if (this.isWanted(idHex)) return;
    this.received.set(idHex, { block, peer });
  }

  /** The next body to connect, if it is here. */
  take(idHex: string): { block: Block; peer: Peer } | undefined {
    const b = this.received.get(idHex);
    if (b) {
      this.received.delete(idHex);
      this.connecting.add(idHex);
    }
    return b;
  }

  /** The chain has decided on a taken body (stored, or refused). */
  settled(idHex: string): void {
    this.connecting.delete(idHex);
  }

  peek(idHex: string): Block | undefined {
    return this.received.get(idHex)?.block;
  }

  /** Forgets a request (notfound, expiry, bad body) so the block is asked of someone else. */
  release(idHex: string): Request | undefined {
    const r = this.inflight.get(idHex);
    if (!r) return undefined;
    this.inflight.delete(idHex);
    const l = this.load(r.peer);
    l.inflight = Math.max(0, l.inflight - 1);
    return r;
  }

  /** Drops what a gone peer had in flight; its requests go back to the pool. */
  peerGone(peer: Peer): void {
    for (const [k, r] of [...this.inflight]) if (r.peer === peer) this.inflight.delete(k);
    this.loads.delete(peer);
  }

  /** Drops everything not on the current path (best chain changed). */
  retain(keep: (idHex: string) => boolean): void {
    for (const [k, r] of [...this.inflight]) {
      if (keep(k)) continue;
      this.inflight.delete(k);
      const l = this.load(r.peer);
      l.inflight = Math.max(0, l.inflight - 1);
    }
    for (const k of [...this.received.keys()]) if (!keep(k)) this.received.delete(k);
  }

  /**
   * Head-of-window stall check: if the first missing body has waited longer than the adaptive
   * timeout, ask another holder; returns the peer to report once it has stalled `maxStrikes` times.
   */
  checkHead(head: HeaderNode | undefined, holders: Peer[], now = Date.now()): Peer | undefined {
    if (!head) return undefined;
    const r = this.inflight.get(head.idHex);
    if (!r) return undefined;
    if (now - r.at < this.stallTimeoutMs(r.peer)) return undefined;
    const other = this.pick(holders.filter((p) => p !== r.peer), r.tried);
    const l = this.load(r.peer);
    l.strikes++;
    if (other) {
      this.release(head.idHex);
      r.tried.add(r.peer);
      this.send(head, other, r.tried, true);
    } else r.at = now; // nobody else has it: wait another round
    return l.strikes >= this.opts.maxStrikes ? r.peer : undefined;
  }

  /** max(stallMinMs, 4 x the median smoothed response time of the serving peers). */
  stallTimeoutMs(_peer: Peer): number {
    const times = [...this.loads.values()].map((l) => l.ewmaMs).sort((a, b) => a - b);
    const median = times.length ? times[Math.floor(times.length / 2)]! : 0;
    return Math.max(this.opts.stallMinMs, 4 * median);
  }

  private pick(candidates: Peer[], exclude: Set<Peer>): Peer | undefined {
    let best: Peer | undefined;
    let bestWait = Infinity;
    for (const p of candidates) {
      if (!p.connected || exclude.has(p)) continue;
      const l = this.load(p);
      if (l.inflight >= this.opts.maxInflightPerPeer || p.inflightCount('block') >= this.opts.maxInflightPerPeer) continue;
      const wait = (l.inflight + 1) * l.ewmaMs;
      if (wait < bestWait) {
        best = p;
        bestWait = wait;
      }
    }
    return best;
  }

  private send(node: HeaderNode, peer: Peer, tried: Set<Peer>, reassign = false): boolean {
    const item = { type: 'block' as const, id: node.id };
    const sent = reassign ? this.net.requests.reassign(peer, item) : this.net.request(peer, [item]).sent.length > 0;
    if (!sent) return false;
    this.inflight.set(node.idHex, { node, peer, at: Date.now(), tried });
    this.load(peer).inflight++;
    return true;
  }
}
