// Per-peer header sync: what each peer claims, what its headers prove, and the getheaders
// exchanges that turn a claim into checked headers (one at a time per peer, continued while
// replies are full). Headers that do not yet beat our tip's work wait per peer (presync) and are
// refused past a bound; a claim the headers do not reach is refused when the peer's chain ends.
import type { Chain } from '../chain/index.js';
import { decodeHeader, headerId, HEADER_BYTES } from '../core/index.js';
import { toHex } from '../crypto/index.js';
import { MAX_HEADERS_PER_MSG, MAX_LOCATOR, P2PError, blockIdHexOf, type P2PNetwork, type Peer } from '../p2p/index.js';
import { SyncError, type SyncReason } from './errors.js';
import type { HeaderNode, HeaderTree } from './header-tree.js';

/** Block ids in one inv beyond this are a flood: honest nodes announce new tips one at a time. */
export const MAX_BLOCK_INV_ITEMS = 16;

interface Proven {
  idHex: string;
  /** The id as bytes when in hand (a peer's advertised tip then costs no hex decode). */
  id?: Uint8Array;
  height: number;
  work: bigint;
}

interface PeerSync {
  /** Work claimed in its hello or last tip message: a reason to ask, never a reason to trust. */
  claimed: bigint;
  /** Its best header we have checked ourselves. */
  best: Proven | undefined;
  asking: boolean;
  /** Checked headers that do not yet beat our tip's work (presync). */
  pending: Map<string, HeaderNode>;
  strays: number;
}

export interface PeerHeadersDeps {
  chain: Chain;
  net: P2PNetwork;
  tree: HeaderTree;
  stats: { headersReceived: number };
  /** Block ids stored recently (a memory check, no store read). */
  isKnown(idHex: string): boolean;
  /** Bodies asked for, buffered or being connected: the window has nothing more to do for them. */
  isWanted(idHex: string): boolean;
  refuse(peer: Peer, reason: SyncReason, detail: string): void;
  /** New headers or proofs: the window may have work. */
  schedule(): void;
  failed(what: string, e: unknown): void;
  maxLowWork: number;
  maxStrays: number;
}

export class PeerHeaders {
  private readonly peers = new Map<Peer, PeerSync>();

  constructor(private readonly d: PeerHeadersDeps) {}

  /** The peer delivered a block whose header checked out: it has that header. */
  proved(peer: Peer, n: HeaderNode): void {
    this.prove(this.state(peer), nodeProven(n), peer);
  }

  gone(peer: Peer): void {
    this.peers.delete(peer);
  }

  /** True while a getheaders is out to a peer claiming more work than our tip. */
  askingAbove(work: bigint): boolean {
    for (const s of this.peers.values()) if (s.asking && s.claimed > work) return true;
    return false;
  }

  /** Ids of every peer's best proven header (what pruning keeps). */
  bests(): string[] {
    const out: string[] = [];
    for (const st of this.peers.values()) if (st.best) out.push(st.best.idHex);
    return out;
  }

  /** For the window: the peers whose proven best is on the path at index >= i. */
  holders(index: Map<string, number>): (i: number) => Peer[] {
    const reach: [Peer, number][] = [];
    for (const [peer, st] of this.peers) {
      const at = st.best && index.get(st.best.idHex);
      if (at !== undefined && peer.connected) reach.push([peer, at]);
    }
    return (i) => reach.filter(([, at]) => at >= i).map(([p]) => p);
  }

  /**
   * Block ids announced by `inv` (the relay hands them over): unknown ones lead to one getheaders,
   * from memory only (no store read per id). Floods are refused.
   */
  onBlockInv(peer: Peer, ids: Uint8Array[]): void {
    if (ids.length > MAX_BLOCK_INV_ITEMS) return this.d.refuse(peer, 'inv-flood', `${ids.length} block ids in one inv`);
    const unknown = ids.some((id) => {
      const k = toHex(id);
      return !this.d.tree.get(k) && !this.d.isKnown(k);
    });
    if (unknown) void this.askHeaders(peer).catch((e: unknown) => this.d.failed('inv', e));
  }

  // ---------------------------------------------------------------- headers

  private state(peer: Peer): PeerSync {
    let s = this.peers.get(peer);
    if (!s) this.peers.set(peer, (s = { claimed: 0n, best: undefined, asking: false, pending: new Map(), strays: 0 }));
    return s;
  }

  /** A peer's claim (hello or tip): known tips become its proven best; unknown ones with more work than ours are asked for. */
  async evaluate(peer: Peer): Promise<void> {
    if (!peer.connected || !peer.tip) return;
    const st = this.state(peer);
    st.claimed = peer.tip.work;
    const known = await this.lookup(toHex(peer.tip.id), peer.tip.id);
    if (known) this.prove(st, known);
    else if (st.claimed > this.d.tree.bestWork) await this.askHeaders(peer);
    this.d.schedule();
  }

  /**
   * Peers whose announced tip is now a checked header (someone's headers proved its work) have
   * that block's chain (Core's ProcessBlockAvailability): the window may ask them for bodies at
   * once instead of after their own, maybe slower, getheaders. A peer that announced a tip it
   * cannot serve answers notfound or stalls, and is refused for it.
   */
  resolveClaims(): void {
    for (const [peer, st] of this.peers) {
      const tip = peer.tip;
      if (!tip || !peer.connected || (st.best && st.best.work >= tip.work)) continue;
      const n = this.d.tree.get(toHex(tip.id));
      if (n) this.prove(st, nodeProven(n));
    }
  }

  /** Records a header the peer proved it has; its advertised tip follows (for the API's peer list). */
  prove(st: PeerSync, p: Proven, peer?: Peer): void {
    if (!st.best || p.work > st.best.work) st.best = p;
    if (peer && (!peer.tip || p.work > peer.tip.work)) peer.tip = { id: p.id ?? Uint8Array.from(Buffer.from(p.idHex, 'hex')), height: p.height, work: p.work };
  }

  private async lookup(idHex: string, id: Uint8Array): Promise<Proven | undefined> {
    const n = this.d.tree.get(idHex);
    if (n) return { idHex, height: n.height, work: n.work };
    const e = await this.d.chain.entry(id);
    return e ? { idHex, height: e.height, work: e.work } : undefined;
  }

  /**
   * getheaders from our best header (or `from`) back to genesis; one exchange per peer at a time.
   */
  async askHeaders(peer: Peer, from?: HeaderNode): Promise<void> {
    const st = this.state(peer);
    if (st.asking || !peer.connected) return;
    st.asking = true;
    const claimAtAsk = st.claimed;
    let headers: Uint8Array[];
    try {
      headers = (await this.d.net.exchange(peer, { kind: 'getheaders', locator: await this.locator(from ?? this.d.tree.best) })).headers;
    } catch (e) {
      st.asking = false;
      if (e instanceof P2PError && e.reason === 'timeout') this.d.refuse(peer, 'headers-timeout', 'no headers reply in time');
      return;
    }
    st.asking = false;
    await this.onHeaders(peer, headers, true, claimAtAsk);
  }

  /** Ids back from `from` (dense, then doubling) and then the chain's own locator, at most MAX_LOCATOR. */
  private async locator(from: HeaderNode | undefined): Promise<Uint8Array[]> {
    const ids: Uint8Array[] = [];
    let step = 1;
    let n = from;
    while (n && ids.length < 32) {
      ids.push(n.id);
      for (let i = 0; i < step && n; i++) n = this.d.tree.get(n.parentHex);
      if (ids.length >= 10) step *= 2;
    }
    const base = await this.d.chain.locator();
    return [...ids, ...base.slice(Math.max(0, base.length - (MAX_LOCATOR - ids.length)))];
  }

  async onHeaders(peer: Peer, raw: Uint8Array[], solicited: boolean, claimAtAsk?: bigint): Promise<void> {
    if (!peer.connected) return;
    const st = this.state(peer);
    this.d.stats.headersReceived += raw.length;
    if (!raw.length) {
      if (solicited) this.checkClaim(peer, st, claimAtAsk ?? st.claimed);
      return;
    }
    if (!solicited && raw.length === 1 && this.knownAnnouncement(peer, st, raw[0]!)) return;
    let nodes: HeaderNode[];
    let failure: SyncError | undefined;
    try {
      nodes = await this.d.tree.check(raw, st.pending);
    } catch (e) {
      if (!(e instanceof SyncError)) throw e;
      failure = e;
      nodes = e.partial;
    }
    if (failure?.reason === 'headers-not-connecting' && !solicited) {
      // An announcement past a gap: fetch the gap; only repeated strays are refused.
      if (++st.strays > this.d.maxStrays) return this.d.refuse(peer, 'headers-not-connecting', failure.message);
      return this.askHeaders(peer);
    }
    if (failure && failure.reason !== 'time-too-new') return this.d.refuse(peer, failure.reason, failure.message);
    const lastId = lastHeaderId(raw, nodes, failure !== undefined);
    const last = lastId && (nodes.length && nodes[nodes.length - 1]!.idHex === toHex(lastId) ? nodeProven(nodes[nodes.length - 1]!) : await this.lookup(toHex(lastId), lastId) ?? pendingProven(st, toHex(lastId)));
    if (last) this.prove(st, last, peer);
    for (const n of nodes) st.pending.set(n.idHex, n);
    if (st.pending.size && st.best && st.best.work > this.d.chain.tip.work) {
      // The headers show more work than our tip: only now are they kept.
      this.d.tree.admit([...st.pending.values()]);
      st.pending.clear();
      this.resolveClaims();
    } else if (st.pending.size > this.d.maxLowWork) {
      st.pending.clear();
      return this.d.refuse(peer, 'low-work-headers', `more than ${this.d.maxLowWork} headers without beating our tip's work`);
    }
    if (solicited && !failure && raw.length === MAX_HEADERS_PER_MSG) {
      void this.askFrom(peer, nodes.length ? nodes[nodes.length - 1]! : this.d.tree.get(toHex(lastId!)));
    } else if (solicited) {
      // The peer's chain ends here: what it claimed must be proven by now.
      st.pending.clear();
      this.checkClaim(peer, st, claimAtAsk ?? st.claimed);
    }
    this.d.schedule();
  }

  /**
   * A new tip is announced by every peer that connected it, so most announcements name a block we
   * already have or already fetch. Such a repeat only tells us the peer has it: recorded from
   * memory, with no header check and no store read (the check it would repeat was made once).
   */
  private knownAnnouncement(peer: Peer, st: PeerSync, bytes: Uint8Array): boolean {
    if (bytes.length !== HEADER_BYTES) return false;
    // The id the router already hashed for this message (bodyId is memoised per bytes object).
    const idHex = blockIdHexOf(bytes);
    const n = this.d.tree.get(idHex);
    const tip = this.d.chain.tip;
    const proven = n ? nodeProven(n) : idHex === tip.idHex ? { idHex, id: tip.id, height: tip.height, work: tip.work } : undefined;
    if (!proven) return false;
    this.prove(st, proven, peer);
    // A repeat of a tip already stored, or whose body is already on its way, gives the window
    // nothing to do now (a stall is found by its timer, which sees this peer as a holder): no
    // window pass per duplicate announcement. A header still waiting for a peer to ask does.
    if (n && !this.d.isWanted(idHex)) this.d.schedule();
    return true;
  }

  private async askFrom(peer: Peer, from: HeaderNode | undefined): Promise<void> {
    await this.askHeaders(peer, from).catch((e: unknown) => this.d.failed('headers', e));
  }

  private checkClaim(peer: Peer, st: PeerSync, claim: bigint): void {
    const proven = st.best?.work ?? 0n;
    if (claim > proven && claim > this.d.chain.tip.work) this.d.refuse(peer, 'work-claim-unproven', `claimed work ${claim}, headers prove ${proven}`);
  }
}

function nodeProven(n: HeaderNode): Proven {
  return { idHex: n.idHex, id: n.id, height: n.height, work: n.work };
}

function pendingProven(st: PeerSync, idHex: string): Proven | undefined {
  const n = st.pending.get(idHex);
  return n && nodeProven(n);
}

/** Id of the last header the peer sent that we accept as checked (the partial prefix on a soft failure). */
function lastHeaderId(raw: Uint8Array[], nodes: HeaderNode[], partial: boolean): Uint8Array | undefined {
  // Every header was new (the usual announcement): the last checked node is the last one sent.
  if (partial || (nodes.length && nodes.length === raw.length)) return nodes.length ? nodes[nodes.length - 1]!.id : undefined;
  try {
    return headerId(decodeHeader(raw[raw.length - 1]!));
  } catch {
    return undefined;
  }
}
