// One WebSocket connection and what we know about the node behind it: its proved identity and
// tip, what it is known to have (bounded LRUs), what we asked it for (in-flight requests), its
// misbehaviour score, its message-rate bucket and its liveness. Policy lives in the network's parts; this
// is state plus small helpers.
import type { WebSocket } from 'ws';
import { toHex } from '../crypto/index.js';
import { monotonicNow, refill, type TokenBucket } from '../core/index.js';
import { LruSet, idKey } from './lru.js';
import type { InvItem, InvType, Message, TipInfo } from './messages.js';

export type Direction = 'inbound' | 'outbound';

/** What the API shows for one connected peer. */
export interface PeerInfo {
  /** Node id (hex SHA-256 of its public key), proved at the handshake. */
  id: string;
  host: string;
  /** The peer's listening port (dialled port for outbound, advertised port for inbound). */
  port: number;
  /** `host:port` (IPv6 in brackets), where the peer can be dialled. */
  address: string;
  direction: Direction;
  height: number;
  /** Cumulative work of its tip, decimal string (bigint in code). */
  work: string;
  tipId: string;
  /** Misbehaviour score now (decays with a half-life; banned at 100). */
  score: number;
  connectedAt: number;
  /** Round trip of the last answered keep-alive ping, if any. */
  latencyMs: number | undefined;
  /** When it last delivered a block / a transaction we asked for (0: never); eviction protects recent relayers. */
  lastBlockAt: number;
  lastTxAt: number;
}

/** Points left of `points` charged at `at`, halving every `halfLifeMs` (no decay when halfLifeMs is 0). */
export function decayedScore(points: number, at: number, now: number, halfLifeMs: number): number {
  if (points <= 0 || halfLifeMs <= 0 || now <= at) return points;
  return points * 0.5 ** ((now - at) / halfLifeMs);
}

/** A getheaders / getblocks awaiting its reply; `settle` is set when a caller awaits it. */
export interface PendingExchange {
  kind: 'getblocks' | 'getheaders';
  at: number;
  settle?: (reply: Message | undefined, reason?: string) => void;
}

export interface InflightEntry {
  item: InvItem;
  at: number;
}

export class Peer {
  /** Hex node id; '' until the hello arrives. */
  id = '';
  publicKey: Uint8Array | undefined;
  listenPort = 0;
  tip: TipInfo | undefined;
  /** True once both sides proved their keys; only ready peers are in `peers()` and get messages. */
  ready = false;
  /** Wall clock (shown to users); durations use the monotonic fields below. */
  readonly connectedAt = Date.now();
  /** @internal monotonic connect time, for how long a connection lasted */
  readonly connectedSince = monotonicNow();
  /** Monotonic (core/clock.ts), like every liveness, score and rate time below. */
  lastSeen = monotonicNow();
  latencyMs: number | undefined;
  /** Last delivery of a requested block / transaction (wall clock, shown to users; 0: never). */
  lastBlockAt = 0;
  lastTxAt = 0;
  /** @internal the same deliveries on the monotonic clock: eviction orders peers by them (0: never) */
  lastBlockSince = 0;
  /** @internal */
  lastTxSince = 0;

  /** Ids this peer knows about (announced by either side): an id is announced to it once. */
  readonly known: LruSet;
  /** Ids whose body this peer has (it announced or sent it, or we sent it): a body goes once. */
  readonly has: LruSet;
  /**
   * Tx ids we announced to this peer: the only txs its getdata is answered with, so it cannot
   * probe our mempool for txs we never offered it (Core: m_recently_announced_invs).
   */
  readonly offeredTxs: LruSet;
  /** Our requests to this peer not yet answered (getdata items), by id key. Change via addInflight/takeInflight. */
  readonly inflight = new Map<string, InflightEntry>();
  /** Requests waiting for a free in-flight slot (bounded by the network). */
  readonly queue: InvItem[] = [];
  /** getheaders / getblocks sent and not yet answered, oldest first (the request tracker's). */
  readonly exchanges: PendingExchange[] = [];

  /** @internal handshake progress */
  gotHello = false;
  /** @internal */
  proved = false;
  /** @internal the peer's helloAck arrived (verified or not): from here on its frames may be large */
  proofArrived = false;
  /** @internal the challenge in the peer's hello (half of the transcript both sides sign) */
  peerChallenge: Uint8Array | undefined;
  /** @internal first time the send buffer was seen above the bound (slow-reader detection) */
  slowSince: number | undefined;
  /** @internal outstanding keep-alive ping */
  ping: { nonce: bigint; at: number } | undefined;
  /** @internal a liveness probe (another connection claimed this peer's id): a frame must arrive by `by` */
  probe: { sentAt: number; by: number } | undefined;
  /** @internal last keep-alive ping sent */
  lastPingAt = monotonicNow();
  /** @internal set once the peer was dropped (events fire once) */
  dropped = false;
  /** @internal set once banned (a ban is recorded once per connection) */
  banned = false;
  /** @internal why we closed it, when we did */
  closeReason: string | undefined;
  /** @internal handshake deadline */
  hsTimer: NodeJS.Timeout | undefined;
  /** @internal cuts off a peer that does not answer our close frame */
  killTimer: NodeJS.Timeout | undefined;
  /** @internal settles a pending dial (outbound): undefined on ready, the reason on failure */
  settle: ((reason: string | undefined) => void) | undefined;
  /** @internal keys of `queue`, for O(1) membership */
  readonly queued = new Set<string>();

  private readonly counts: Record<InvType, number> = { block: 0, tx: 0 };
  private scorePoints = 0;
  private scoreAt = monotonicNow();
  /** Messages per second allowance (token bucket). */
  private readonly bucket: TokenBucket;

  constructor(
    /** @internal the socket; use the network's methods to send. */
    readonly ws: WebSocket,
    readonly host: string,
    readonly direction: Direction,
    /** Our random challenge for this connection: the peer signs it to prove its key. */
    readonly challenge: Uint8Array,
    private readonly rate: { perSecond: number; burst: number },
    idsPerPeer: number,
    /** Misbehaviour points halve this often (0: never). */
    private readonly scoreHalfLifeMs = 0,
  ) {
    this.bucket = { tokens: rate.burst, at: monotonicNow() };
    this.known = new LruSet(idsPerPeer);
    this.has = new LruSet(idsPerPeer);
    this.offeredTxs = new LruSet(idsPerPeer);
  }

  /** Handshake done and not yet dropped: the peer can be sent messages. */
  get connected(): boolean {
    return this.ready && !this.dropped;
  }

  /** host:listenPort, the address the peer can be dialled at. */
  get address(): string {
    return `${this.host}:${this.listenPort}`;
  }

  /** @deprecated alias of `address` */
  get key(): string {
    return this.address;
  }

  /** Misbehaviour score now, rounded (the exact value is `scoreNow()`). */
  get score(): number {
    return Math.round(this.scoreNow());
  }

  /** Sets the score (e.g. a reconnecting id's remembered one). */
  set score(points: number) {
    this.scorePoints = Math.max(0, points);
    this.scoreAt = monotonicNow();
  }

  /** The exact decayed score at `now`. */
  scoreNow(now = monotonicNow()): number {
    return decayedScore(this.scorePoints, this.scoreAt, now, this.scoreHalfLifeMs);
  }

  /** Adds points to the decayed score; returns the new exact score. */
  addScore(points: number, now = monotonicNow()): number {
    this.scorePoints = this.scoreNow(now) + points;
    this.scoreAt = Math.max(now, this.scoreAt);
    return this.scorePoints;
  }

  /** Token bucket: false when the peer sends faster than its allowance. */
  takeToken(now = monotonicNow()): boolean {
    const b = this.bucket;
    b.tokens = refill(b, this.rate, now);
    b.at = now;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Records that the peer has this body (it announced or sent it, or we sent or served it). */
  markKnown(id: Uint8Array | string): void {
    const k = idKey(id);
    this.known.add(k);
    this.has.add(k);
  }

  /** True when the peer knows the id (announced either way): no need to announce it again. */
  knows(id: Uint8Array | string): boolean {
    return this.known.has(idKey(id));
  }

  /** True when the peer is known to have the body: never send it again. */
  hasBody(id: Uint8Array | string): boolean {
    return this.has.has(idKey(id));
  }

  /** @internal we announced the id: the peer knows of it but may not have the body yet. */
  markAnnounced(k: string): void {
    this.known.add(k);
  }

  /** @internal we announced this tx to the peer (an `inv`): its getdata for it may be answered. */
  markTxOffered(k: string): void {
    this.offeredTxs.add(k);
  }

  /** True when we announced this tx to the peer recently (bounded memory: the oldest are forgotten). */
  wasTxOffered(id: Uint8Array | string): boolean {
    return this.offeredTxs.has(idKey(id));
  }

  /** @internal records a request; use the network's `request()` to send one. */
  addInflight(k: string, item: InvItem, at: number): void {
    if (!this.inflight.has(k)) this.counts[item.type]++;
    this.inflight.set(k, { item, at });
  }

  /** @internal the request for `k` is answered (or expired): frees its slot. */
  takeInflight(k: string): InflightEntry | undefined {
    const e = this.inflight.get(k);
    if (e) {
      this.inflight.delete(k);
      this.counts[e.item.type]--;
    }
    return e;
  }

  inflightCount(type: InvType): number {
    return this.counts[type];
  }

  info(): PeerInfo {
    return {
      id: this.id,
      host: this.host,
      port: this.listenPort,
      address: this.host.includes(':') ? `[${this.host}]:${this.listenPort}` : this.address,
      direction: this.direction,
      height: this.tip?.height ?? 0,
      work: (this.tip?.work ?? 0n).toString(),
      tipId: this.tip ? toHex(this.tip.id) : '',
      score: this.score,
      connectedAt: this.connectedAt,
      latencyMs: this.latencyMs,
      lastBlockAt: this.lastBlockAt,
      lastTxAt: this.lastTxAt,
    };
  }
}
