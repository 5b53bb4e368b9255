// The download window: block bodies for the best header chain, fetched in parallel from every peer
// whose proven headers include them. At most `windowSize` blocks ahead of the first missing one
// (the low edge) are in flight or buffered. Each peer has its own in-flight limit, grown by what it
// delivers and halved when it lags (peer-load.ts), and each request goes to the peer expected to
// answer soonest (its latency plus its queue). Blocks are needed in order: a block the connector
// will reach before a slow peer could deliver it is not given to that peer while a faster one will
// soon have room (head-of-line blocking, the cost Bitcoin Core's stalling logic and lodestar's
// re-downloads exist for). A request that will come later than its block is needed is asked again
// of a peer expected much sooner, using two slots kept free for the low edge so a fast peer full of
// blocks far ahead can still take it; the first peer keeps its tracker slot and its limit halves.
// A request that holds up the low edge longer than an adaptive timeout is a strike; a peer with
// `maxStrikes` of them stalls the window and is reported.
// New bodies are asked for only as far ahead as the connector will need them while they travel
// (lookahead: a full pipeline at least, more when connecting outpaces delivery): a body that would
// wait in the buffer gains nothing by being asked early, and asking it early hands a short sync to
// whichever peer proved its headers first (it took 31 of 60 before the others had answered).
// A pass's new requests go out as one getdata per peer, not one per block.
// Which peer each request goes to is peer-choice.ts's; each peer's estimates are peer-load.ts's.
import { monotonicNow, type Block } from '../core/index.js';
import type { P2PNetwork, Peer } from '../p2p/index.js';
import type { HeaderNode } from './header-tree.js';
import { LAG_FACTOR, PeerChoice } from './peer-choice.js';
import { newPeerLoad, noteDelivery, noteLagging, noteLateDelivery, noteOvertaken, type PeerLoad } from './peer-load.js';

export type { PeerLoad } from './peer-load.js';

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

/** A request moves only to a peer expected to answer this many times sooner than the one asked. */
const STEAL_ADVANTAGE = 2;
/** In-flight slots per peer kept for re-requests of blocks at the low edge. */
const URGENT_SLOTS = 2;
/** Younger requests are never moved (event-loop jitter is not slowness); a lone new tip is never moved either (relay: one body per block). */
const MIN_MOVE_AGE_MS = 50;
/** Moved requests remembered for the first peer's late answer (its response time still counts). */
const MAX_MOVED = 4_096;
/**
 * Bodies are asked for this many times the typical response time before the connector needs them:
 * a late answer or one re-request still arrives in time.
 */
const LOOKAHEAD_MARGIN = 3;

interface Request {
  node: HeaderNode;
  peer: Peer;
  at: number;
  /** Requests the peer already owed when this one was sent (its queue ahead of it). */
  ahead: number;
  /** When we expected the answer, ms after `at`. */
  expectMs: number;
  /** Peers this block was asked of before (a reassignment never goes back to them). */
  tried: Set<Peer>;
}

export class DownloadWindow {
  readonly loads = new Map<Peer, PeerLoad>();
  private readonly inflight = new Map<string, Request>();
  private readonly received = new Map<string, { block: Block; peer: Peer }>();
  /** Taken for connecting and not yet stored: not to be asked for again meanwhile. */
  private readonly connecting = new Map<string, number>();
  /** Requests moved to a faster peer: who was asked first, and when. */
  private readonly moved = new Map<string, { peer: Peer; at: number; struck: boolean }>();
  /** Smoothed ms the connector spends per block: how soon a block `i` places ahead is needed. */
  private connectMs = 0;
  /** The body the connector found missing at the low edge, and since when. */
  private awaited: { idHex: string; since: number } | undefined;
  /** Total ms the connector waited for the body at the low edge (head-of-line blocking). */
  lowEdgeWaitMs = 0;
  /** Which peer a request goes to. */
  private readonly choice: PeerChoice;
  /** This fill pass's new requests per peer, sent together at its end. */
  private readonly batches = new Map<Peer, HeaderNode[]>();

  constructor(private readonly net: P2PNetwork, readonly opts: WindowOptions) {
    this.choice = new PeerChoice(this.loads, (p) => this.load(p), opts.maxInflightPerPeer);
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  get bufferedCount(): number {
    return this.received.size;
  }

  /** In-flight limit a peer can grow to by filling (the rest is kept for the low edge). */
  private get fillCap(): number {
    return Math.max(1, this.opts.maxInflightPerPeer - URGENT_SLOTS);
  }

  load(peer: Peer): PeerLoad {
    let l = this.loads.get(peer);
    if (!l) {
      this.loads.set(peer, (l = newPeerLoad()));
      l.limit = Math.min(l.limit, this.fillCap);
    }
    return l;
  }

  isWanted(idHex: string): boolean {
    return this.inflight.has(idHex) || this.received.has(idHex) || this.connecting.has(idHex);
  }

  requestedFrom(idHex: string): Peer | undefined {
    return this.inflight.get(idHex)?.peer;
  }

  /**
   * Asks for every missing body in the window, then re-asks, of much faster peers, those that will
   * come later than they are needed. `path` is the best header chain from its first block not
   * stored; `holders(i)` are the peers whose proven headers include path[i].
   */
  fill(path: HeaderNode[], holders: (i: number) => Peer[], now = monotonicNow()): number {
    this.choice.beginPass(this.inflight.values(), this.moved.values());
    const startMoved = this.startLowEdge(path, holders, now);
    const end = Math.min(path.length, this.opts.windowSize);
    const reach = Math.min(end, this.lookahead());
    for (let i = 0; i < reach; i++) {
      const node = path[i]!;
      if (this.isWanted(node.idHex)) continue;
      const cands = holders(i);
      const peer = this.choice.pick(cands, new Set(), false, now, this.neededInMs(i));
      if (!peer) continue;
      // Head-of-line guard: not to a peer far behind the best holder (even a full one, which will
      // have room at its next delivery) unless it delivers before the connector reaches the block.
      const e = this.choice.effectiveMs(peer, now);
      if (e > LAG_FACTOR * this.choice.bestWaitMs(cands, now) && e > this.neededInMs(i)) continue;
      this.send(node, peer, new Set(), false, now);
    }
    return startMoved + this.flush() + this.rerequest(path.slice(0, end), holders, now);
  }

  /**
   * At the start of a sync nothing is measured, and the low edge went to whichever peer proved its
   * headers first: when it is slow, the connector idles until the block is moved, which took a
   * delivery from someone else and 50 ms of age (160-180 ms of a 1.5 s four-peer sync). So while
   * no peer has delivered, the awaited low edge moves once, to the first other holder with nothing
   * queued, ahead of that peer's own first requests; the first peer's late answer still counts.
   */
  private startLowEdge(path: HeaderNode[], holders: (i: number) => Peer[], now: number): number {
    // A lone new tip is a relay, not a sync: one body per block.
    if (path.length < 2) return 0;
    const head = path[0];
    const r = head && this.inflight.get(head.idHex);
    if (!r || this.awaited?.idHex !== head.idHex || r.tried.size > 0 || this.load(r.peer).samples > 0) return 0;
    for (const l of this.loads.values()) if (l.samples > 0) return 0;
    const q = holders(0).find((p) => p !== r.peer && p.connected && this.choice.depth(p) === 0);
    return q && this.moveTo(r, q, now) ? 1 : 0;
  }

  /**
   * Re-asks blocks whose peer will answer later than the block is needed, nearest the low edge
   * first, of a peer expected `STEAL_ADVANTAGE` times sooner than the first one still needs. Equal
   * peers never trade (what one still needs is at least half its expectation); near the low edge
   * the new peer may use its urgent slots. The first peer keeps its tracker slot until it answers,
   * so it gets no new work meanwhile, and its limit halves; a moved request it still owes past the
   * stall timeout counts against it (see checkStalls).
   */
  private rerequest(path: HeaderNode[], holders: (i: number) => Peer[], now: number): number {
    let moved = 0;
    if (path.length < 2) return 0;
    for (let i = 0; i < path.length; i++) {
      const r = this.inflight.get(path[i]!.idHex);
      if (!r) continue;
      const age = now - r.at;
      if (age < MIN_MOVE_AGE_MS) continue;
      // What the asked peer still needs: its expected time less the wait so far, or, once past
      // half of that, as long again as it has already taken (a late answer is a slow peer).
      const remaining = Math.max(r.expectMs - age, age);
      if (remaining <= this.neededInMs(i)) continue;
      const exclude = new Set(r.tried).add(r.peer);
      const q = this.choice.pick(holders(i), exclude, i < this.opts.maxInflightPerPeer, now, this.neededInMs(i));
      if (!q) continue;
      // The body the connector is idle for is worth a duplicate as soon as another peer is expected
      // sooner, or at once from a peer that has delivered when the one asked never has (a probe).
      const awaited = this.awaited?.idHex === r.node.idHex;
      const probe = awaited && this.load(r.peer).samples === 0 && this.load(q).samples > 0;
      if (!probe && remaining <= (awaited ? 1 : STEAL_ADVANTAGE) * this.choice.effectiveMs(q, now)) continue;
      if (this.moveTo(r, q, now)) moved++;
    }
    return moved;
  }

  /** Asks `q` for a request `r.peer` still owes (overtaken, not stalled: its limit drops by one). */
  private moveTo(r: Request, q: Peer, now: number): boolean {
    this.release(r.node.idHex);
    r.tried.add(r.peer);
    noteOvertaken(this.load(r.peer));
    this.moved.set(r.node.idHex, { peer: r.peer, at: r.at, struck: false });
    if (this.moved.size > MAX_MOVED) this.moved.delete(this.moved.keys().next().value!);
    return this.send(r.node, q, r.tried, true, now);
  }

  /** A peer answered a request that had been moved away from it: its response time still counts. */
  lateAnswer(idHex: string, peer: Peer, now = monotonicNow()): void {
    const m = this.moved.get(idHex);
    if (m?.peer !== peer) return;
    this.moved.delete(idHex);
    const l = this.loads.get(peer);
    if (l) noteLateDelivery(l, m.at, now);
  }

  /** The body arrived from `peer`: frees the slot and buffers it. False when we never asked anyone. */
  arrived(idHex: string, peer: Peer, block: Block, now = monotonicNow()): boolean {
    const r = this.inflight.get(idHex);
    if (!r) return false;
    this.inflight.delete(idHex);
    const l = this.load(r.peer);
    l.inflight = Math.max(0, l.inflight - 1);
    if (r.peer === peer) {
      noteDelivery(l, r.at, r.ahead, now, this.fillCap);
      l.strikes = 0;
    } else this.lateAnswer(idHex, peer, now);
    this.load(peer).served++;
    this.received.set(idHex, { block, peer });
    if (this.awaited?.idHex === idHex) {
      this.lowEdgeWaitMs += now - this.awaited.since;
      this.awaited = undefined;
    }
    return true;
  }

  /** A body nobody asked for but whose header checked out: buffered like a downloaded one. */
  offer(idHex: string, peer: Peer, block: Block): void {
    if (this.isWanted(idHex)) return;
    this.received.set(idHex, { block, peer });
  }

  /** The next body to connect, if it is here. */
  take(idHex: string, now = monotonicNow()): { block: Block; peer: Peer } | undefined {
    const b = this.received.get(idHex);
    if (b) {
      this.received.delete(idHex);
      this.connecting.set(idHex, now);
    } else if (this.awaited?.idHex !== idHex) this.awaited = { idHex, since: now };
    return b;
  }

  /** The chain has decided on a taken body (stored, or refused). */
  settled(idHex: string, now = monotonicNow()): void {
    const at = this.connecting.get(idHex);
    if (at === undefined) return;
    this.connecting.delete(idHex);
    const ms = now - at;
    this.connectMs = this.connectMs ? this.connectMs * 0.8 + ms * 0.2 : ms;
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
    this.choice.forget(peer);
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
   * another holder; a request moved away and still owed past that timeout is a strike too, so a
   * slow peer is found even when the window no longer waits on it. Returns the peers that have
   * stalled `maxStrikes` times.
   */
  checkStalls(head: HeaderNode | undefined, holders: Peer[], now = monotonicNow()): Peer[] {
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
      this.choice.beginPass(this.inflight.values(), this.moved.values());
      const other = this.choice.pick(holders.filter((p) => p !== r.peer), r.tried, true, now);
      strike(r.peer);
      if (other) {
        this.release(head.idHex);
        r.tried.add(r.peer);
        noteLagging(this.load(r.peer));
        this.moved.set(head.idHex, { peer: r.peer, at: r.at, struck: true });
        this.send(head, other, r.tried, true, now);
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

  /**
   * Blocks past the low edge worth having asked for or buffered: enough that a body asked for now
   * arrives, with margin, before the connector reaches it (typical response time over connect
   * pace), never less than one peer's full pipeline (the pace is unknown until a block connects).
   */
  lookahead(): number {
    const floor = this.opts.maxInflightPerPeer;
    if (this.connectMs <= 0) return floor;
    const typical = this.choice.typicalResponseMs();
    return Math.max(floor, Math.min(this.opts.windowSize, Math.ceil((LOOKAHEAD_MARGIN * typical) / this.connectMs)));
  }

  /** How soon the connector reaches the block `i` places past the low edge, by its recent pace. */
  private neededInMs(i: number): number {
    return i * this.connectMs;
  }

  /**
   * Asks `peer` for `node`. A reassignment goes out at once; a fill pass's requests are counted
   * now (the pass's later picks see them) and go out together at its end, one getdata per peer
   * (Core batches its getdata the same way), instead of one message per block.
   */
  private send(node: HeaderNode, peer: Peer, tried: Set<Peer>, reassign: boolean, now: number): boolean {
    const ahead = this.choice.depth(peer);
    const expectMs = this.choice.effectiveMs(peer, now);
    if (reassign) {
      if (!this.net.requests.reassign(peer, { type: 'block', id: node.id })) return false;
    } else {
      const batch = this.batches.get(peer);
      if (batch) batch.push(node);
      else this.batches.set(peer, [node]);
    }
    this.inflight.set(node.idHex, { node, peer, at: now, ahead, expectMs, tried });
    this.load(peer).inflight++;
    this.choice.asked(peer, now);
    return true;
  }

  /** Sends each peer's batch of this pass; a request the tracker did not send is forgotten (asked again next pass). */
  private flush(): number {
    let sent = 0;
    for (const [peer, nodes] of this.batches) {
      const res = this.net.request(peer, nodes.map((n) => ({ type: 'block' as const, id: n.id })));
      sent += res.sent.length;
      if (res.sent.length === nodes.length) continue;
      const went = new Set(res.sent.map((it) => it.id));
      for (const n of nodes) if (!went.has(n.id) && this.inflight.get(n.idHex)?.peer === peer) this.release(n.idHex);
    }
    this.batches.clear();
    return sent;
  }
}
