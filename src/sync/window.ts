// The download window: block bodies for the best header chain, fetched in parallel from every peer
// whose proven headers include them. At most `windowSize` blocks ahead of the first missing one
// are in flight or buffered, at most `maxInflightPerPeer` per peer, each request given to the peer
// with the shortest expected wait (in flight x its smoothed response time). When every wanted body
// is asked for and a peer has free slots, requests a much slower peer still owes are moved to it
// (end game: the window never waits on a slow peer while a fast one idles). A request that holds
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

/** A request moves to an idle peer only if that peer is expected to answer this many times sooner. */
const STEAL_ADVANTAGE = 2;
/** Younger requests are never moved (event-loop jitter is not slowness); a lone new tip is never moved either (relay: one body per block). */
const MIN_MOVE_AGE_MS = 50;
/** Moved requests remembered for the first peer's late answer (its response time still counts). */
const MAX_MOVED = 4_096;

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
  /** Requests moved to a faster peer: who was asked first, and when. */
  private readonly moved = new Map<string, { peer: Peer; at: number; struck: boolean }>();

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
    return asked + this.endGame(path.slice(0, end), holders);
  }

  /**
   * Moves requests from slow peers to peers with free slots, nearest the head first, when the idle
   * peer is expected to deliver `STEAL_ADVANTAGE` times sooner than the one asked is expected to
   * still take. Equal peers never trade (their remaining time is below their full response time).
   * The first peer keeps its tracker slot until it answers, so it gets no new work meanwhile; a
   * moved request it still owes past the stall timeout counts against it (see checkStalls).
   */
  private endGame(path: HeaderNode[], holders: (i: number) => Peer[], now = Date.now()): number {
    let moved = 0;
    if (path.length < 2) return 0;
    for (let i = 0; i < path.length; i++) {
      const r = this.inflight.get(path[i]!.idHex);
      if (!r || now - r.at < MIN_MOVE_AGE_MS) continue;
      // What the asked peer still needs: its usual time less the wait so far, or, once it is past
      // half of that, as long again as it has already taken (a late answer is a slow peer).
      const age = now - r.at;
      const remaining = Math.max(this.load(r.peer).ewmaMs - age, age);
      const exclude = new Set(r.tried).add(r.peer);
      const q = this.pick(holders(i), exclude);
      if (!q) continue;
      const lq = this.load(q);
      if (remaining <= STEAL_ADVANTAGE * (lq.inflight + 1) * lq.ewmaMs) continue;
      this.release(r.node.idHex);
      r.tried.add(r.peer);
      this.moved.set(r.node.idHex, { peer: r.peer, at: r.at, struck: false });
      if (this.moved.size > MAX_MOVED) this.moved.delete(this.moved.keys().next().value!);
      if (this.send(r.node, q, r.tried, true)) moved++;
    }
    return moved;
  }

  /** A peer answered a request that had been moved away from it: its response time still counts. */
  lateAnswer(idHex: string, peer: Peer, now = Date.now()): void {
    const m = this.moved.get(idHex);
    if (m?.peer !== peer) return;
    this.moved.delete(idHex);
    const l = this.loads.get(peer);
    if (l) l.ewmaMs = l.ewmaMs * 0.8 + (now - m.at) * 0.2;
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
    } else this.lateAnswer(idHex, peer, now);
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
    for (const [k, m] of [...this.moved]) if (m.peer === peer) this.moved.delete(k);
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
    for (const k of [...this.moved.keys()]) if (!keep(k)) this.moved.delete(k);
  }

  /**
   * Stall checks: if the first missing body has waited longer than the adaptive timeout, ask
   * another holder; a request moved away (end game) and still owed past that timeout is a strike
   * too, so a slow peer is found even when the window no longer waits on it. Returns the peers
   * that have stalled `maxStrikes` times.
   */
  checkStalls(head: HeaderNode | undefined, holders: Peer[], now = Date.now()): Peer[] {
    const stallers = new Set<Peer>();
    const strike = (peer: Peer): void => {
      const l = this.loads.get(peer);
      if (l && ++l.strikes >= this.opts.maxStrikes) stallers.add(peer);
    };
    for (const m of this.moved.values()) {
      if (m.struck || now - m.at < this.stallTimeoutMs(m.peer)) continue;
      m.struck = true;
      strike(m.peer);
    }
    const r = head && this.inflight.get(head.idHex);
    if (head && r && now - r.at >= this.stallTimeoutMs(r.peer)) {
      const other = this.pick(holders.filter((p) => p !== r.peer), r.tried);
      strike(r.peer);
      if (other) {
        this.release(head.idHex);
        r.tried.add(r.peer);
        this.send(head, other, r.tried, true);
      } else r.at = now; // nobody else has it: wait another round
    }
    return [...stallers];
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
