// Which peer a block request goes to: each peer's expected answer time (its latency and queue,
// or, if it already owes an older request, at least that long; a peer not yet heard from is taken
// to be the typical one), rebuilt per window pass, and whose turn it is among those that would
// answer in time. The window (window.ts) owns the requests; this only ranks peers for them.
import type { Peer } from '../p2p/index.js';
import { expectedMs, newPeerLoad, type PeerLoad } from './peer-load.js';

/** A peer is "far behind" when it is expected this many times later than the best holder. */
export const LAG_FACTOR = 2;

export class PeerChoice {
  /** Oldest request each peer still owes (rebuilt per pass): a late peer is as slow as its oldest debt. */
  private oldest = new Map<Peer, number>();
  /** What a peer not yet heard from is taken to be (rebuilt per pass). */
  private typicalPeer: Pick<PeerLoad, 'latencyMs' | 'serviceMs'> | undefined;
  /** Requests sent so far (orders the peers' turns). */
  private asks = 0;

  constructor(
    private readonly loads: ReadonlyMap<Peer, PeerLoad>,
    private readonly load: (p: Peer) => PeerLoad,
    private readonly maxInflightPerPeer: number,
  ) {}

  /** Per-pass figures every pick uses, from what each peer still owes (asked, or moved away). */
  beginPass(...owed: Iterable<{ peer: Peer; at: number }>[]): void {
    const out = new Map<Peer, number>();
    for (const list of owed) {
      for (const r of list) {
        const o = out.get(r.peer);
        if (o === undefined || r.at < o) out.set(r.peer, r.at);
      }
    }
    this.oldest = out;
    this.typicalPeer = this.typicalLoad();
  }

  /** A request was sent to `peer`: its turn is taken. */
  asked(peer: Peer, now: number): void {
    this.load(peer).lastAsk = ++this.asks;
    if (!this.oldest.has(peer)) this.oldest.set(peer, now);
  }

  forget(peer: Peer): void {
    this.oldest.delete(peer);
  }

  /** Requests the peer has queued, ours and those moved away it still owes (the tracker's count). */
  depth(p: Peer): number {
    return Math.max(p.inflightCount('block'), this.load(p).inflight);
  }

  /**
   * Expected ms to an answer of a new request to `p`, or longer if it already owes one that old. A
   * peer not yet heard from is taken to be like the typical measured one.
   */
  effectiveMs(p: Peer, now: number): number {
    const l = this.load(p);
    const expect = expectedMs(l.samples ? l : this.typicalPeer ?? l, this.depth(p));
    const since = this.oldest.get(p);
    return since === undefined ? expect : Math.max(expect, now - since);
  }

  /** The median measured peer's latency and service time (none measured yet: undefined). */
  private typicalLoad(): Pick<PeerLoad, 'latencyMs' | 'serviceMs'> | undefined {
    const m = [...this.loads.values()].filter((l) => l.samples > 0);
    if (!m.length) return undefined;
    const mid = <T>(xs: T[], f: (x: T) => number): number => xs.map(f).sort((a, b) => a - b)[xs.length >> 1]!;
    return { latencyMs: mid(m, (l) => l.latencyMs), serviceMs: mid(m, (l) => l.serviceMs) };
  }

  /** The soonest any holder could answer, counting a full one as free after its next delivery. */
  bestWaitMs(cands: Peer[], now: number): number {
    let best = Infinity;
    for (const p of cands) {
      if (!p.connected) continue;
      const l = this.load(p);
      const wait = this.effectiveMs(p, now) + (this.depth(p) >= l.limit ? l.serviceMs : 0);
      if (wait < best) best = wait;
    }
    return best;
  }

  /**
   * A holder with a free slot (`urgent`: the kept slots too). Urgent: the one expected to answer
   * soonest, the least loaded of those. Otherwise every peer that would answer in time takes its
   * turn, as Bitcoin Core gives each peer with room its share: of the holders expected before the
   * block is due (`dueMs`), or about as soon as the quickest, the one asked longest ago. The lowest
   * estimate winning every tie gave one of three equal peers most of the work, and a peer not yet
   * measured (taken as typical) still gets work to be measured by.
   */
  pick(candidates: Peer[], exclude: Set<Peer>, urgent: boolean, now: number, dueMs = 0): Peer | undefined {
    const open: { p: Peer; wait: number; depth: number }[] = [];
    let soonest = Infinity;
    for (const p of candidates) {
      if (!p.connected || exclude.has(p)) continue;
      const depth = this.depth(p);
      if (depth >= (urgent ? this.maxInflightPerPeer : this.load(p).limit)) continue;
      const wait = this.effectiveMs(p, now);
      open.push({ p, wait, depth });
      if (wait < soonest) soonest = wait;
    }
    const deadline = Math.max(dueMs, LAG_FACTOR * soonest);
    let best: (typeof open)[number] | undefined;
    for (const o of open) {
      if (urgent) {
        if (o.wait === soonest && (!best || o.depth < best.depth)) best = o;
      } else if (o.wait <= deadline && (!best || this.load(o.p).lastAsk < this.load(best.p).lastAsk)) best = o;
    }
    return best?.p;
  }

  /** Median smoothed response time (queueing included) of the peers that have delivered. */
  typicalResponseMs(): number {
    const times = [...this.loads.values()].filter((l) => l.samples > 0).map((l) => l.ewmaMs).sort((a, b) => a - b);
    return times.length ? times[times.length >> 1]! : expectedMs(newPeerLoad(), 0);
  }
}
