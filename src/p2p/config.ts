// The p2p layer's shared declarations: limits and their defaults, the points p2p charges by itself,
// the events the network emits, and the internal context its parts (listener, peer manager,
// keep-alive, scoring, request tracker) share. No behaviour lives here.
import type { Logger } from '../log/index.js';
import type { BanStore } from './bans.js';
import { P2PError } from './errors.js';
import type { LruSet } from './lru.js';
import type { InvItem, Message, TipInfo } from './messages.js';
import type { Direction, Peer } from './peer.js';

export interface P2PLimits {
  /** Largest WebSocket message accepted (server and client); larger frames close the socket and score `oversize`. */
  maxPayload: number;
  /** hello + helloAck must complete within this. */
  handshakeTimeoutMs: number;
  /**
   * Bytes a connection may receive before the other side's handshake proof (helloAck) arrives: a
   * hello and a helloAck are under 1 KiB, but `ws` buffers a frame up to `maxPayload` before we
   * see it, so without this every half-open socket could hold 4 MiB. Over it: closed `oversize`.
   */
  preHandshakeBytes: number;
  /** A keep-alive ping is sent this often. */
  pingIntervalMs: number;
  /** A peer that sends nothing (not even a pong) for this long is dropped. */
  idleTimeoutMs: number;
  maxOutbound: number;
  /** Established (handshaken) inbound peers; when full, a new one evicts an unprotected peer or is refused (eviction.ts). */
  maxInbound: number;
  /** Established inbound peers per remote IP, loopback and private ranges exempt. */
  maxInboundPerIp: number;
  /** Established inbound peers per public /24 (IPv4) or /64 (IPv6). */
  maxInboundPerNetGroup: number;
  /** Sockets the listener holds in any state (the HTTP server's `maxConnections`); over it the kernel-accepted socket is closed at once. */
  maxConnections: number;
  /** Inbound connections that have not finished the handshake (before or after the upgrade); over it the oldest is evicted. */
  maxHalfOpen: number;
  /** Half-open connections per source (host; /24 or /64 for public addresses), loopback included; over it that source's oldest is evicted. */
  maxHalfOpenPerSource: number;
  /** A TCP socket must send its upgrade request within this (then the handshake deadline runs). */
  upgradeTimeoutMs: number;
  /**
   * Inbound connection attempts per source (host; /24 or /64 for public addresses): a token bucket
   * refilled at this rate, of this size. Past it the socket is closed at accept, before any
   * handshake work (connect-rate.ts).
   */
  inboundConnectsPerSecond: number;
  inboundConnectBurst: number;
  /** Sources whose connect rate is remembered at once (least recently seen forgotten first). */
  maxConnectRateSources: number;
  /** Also rate-limit loopback and private sources (default: exempt, like the other per-address caps; tests turn it on). */
  limitLocalConnectRate: boolean;
  /**
   * The global inbound handshake budget (handshake-budget.ts): handshakes per second and at once over
   * every source, loopback included, spent when a dialler's proof arrives; past it the connection is
   * closed with 'busy' before the proof is verified. While it is below half, a host served within `handshakeHostIntervalMs` waits.
   */
  inboundHandshakesPerSecond: number;
  inboundHandshakeBurst: number;
  handshakeHostIntervalMs: number;
  /** Misbehaviour scores (per peer, per id, per address) halve this often, so a rare fault does not accumulate forever. */
  scoreHalfLifeMs: number;
  /** Token bucket per peer: refill rate and capacity (messages). */
  messagesPerSecond: number;
  messageBurst: number;
  /** Send-buffer bound: a peer above it for `slowReaderMs` (or above 4x at any send) is dropped. */
  maxBufferedBytes: number;
  slowReaderMs: number;
  /** Block requests in flight per peer (DESIGN: 16); transaction requests have their own cap. */
  maxInflightPerPeer: number;
  maxInflightTxsPerPeer: number;
  /** Requests waiting for a slot, per peer. */
  maxQueuedPerPeer: number;
  /**
   * Of those, transaction requests (Bitcoin Core keeps at most 5,000 tx announcements per peer): an
   * `inv` flood past it is dropped, not queued; honest peers announce the rest again.
   */
  maxQueuedTxsPerPeer: number;
  /** An unanswered request frees its slot after this (and `request:expired` fires). */
  requestTimeoutMs: number;
  /** Size of each per-peer LRU (ids it knows / bodies it has). */
  knownIdsPerPeer: number;
  /** Size of the global LRU of bodies seen. */
  seenIds: number;
  banMs: number;
  /** Also ban loopback hosts by address (default: by node id only; see bans.ts). */
  banLoopbackHosts: boolean;
  /** Peer manager tick; also the pause between dial rounds. */
  dialIntervalMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  maxCandidates: number;
  /** Candidates per public /24 (IPv4) or /64 (IPv6); loopback and private addresses exempt. */
  maxCandidatesPerNetGroup: number;
}

export const DEFAULT_P2P_LIMITS: Readonly<P2PLimits> = {
  maxPayload: 4 * 1024 * 1024,
  handshakeTimeoutMs: 5_000,
  // 256 KiB: one socket read (64 KiB) of what follows the proof may arrive with it, and be counted.
  preHandshakeBytes: 256 * 1024,
  pingIntervalMs: 30_000,
  idleTimeoutMs: 120_000,
  maxOutbound: 8,
  maxInbound: 32,
  maxInboundPerIp: 4,
  maxInboundPerNetGroup: 8,
  maxConnections: 128,
  maxHalfOpen: 16,
  maxHalfOpenPerSource: 8,
  upgradeTimeoutMs: 3_000,
  inboundConnectsPerSecond: 0.5,
  inboundConnectBurst: 8,
  maxConnectRateSources: 4_096,
  limitLocalConnectRate: false,
  inboundHandshakesPerSecond: 32,
  inboundHandshakeBurst: 64,
  handshakeHostIntervalMs: 10_000,
  scoreHalfLifeMs: 10 * 60 * 1000,
  messagesPerSecond: 200,
  messageBurst: 2_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  slowReaderMs: 10_000,
  maxInflightPerPeer: 16,
  maxInflightTxsPerPeer: 64,
  maxQueuedPerPeer: 50_000,
  maxQueuedTxsPerPeer: 1_000,
  requestTimeoutMs: 30_000,
  knownIdsPerPeer: 5_000,
  seenIds: 50_000,
  banMs: 24 * 60 * 60 * 1000,
  banLoopbackHosts: false,
  dialIntervalMs: 1_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 5 * 60 * 1000,
  maxCandidates: 1_000,
  maxCandidatesPerNetGroup: 32,
};

/**
 * Points p2p adds by itself, for wire-level faults only (what a frame is, not what it means). The
 * node's penalty table prices everything else and charges it through `misbehave`.
 */
export interface P2PPenalties {
  /** A frame that does not decode, a text frame, a repeated handshake message. */
  malformed: number;
  /** A body we did not ask for (block/tx without getdata, blocks/headers without a request). */
  unrequested: number;
  /** A frame over maxPayload (our own sender never builds one). */
  oversize: number;
  /** Each message over the token-bucket allowance (the message is dropped). */
  rateLimit: number;
}

export const DEFAULT_PENALTIES: Readonly<P2PPenalties> = { malformed: 20, unrequested: 5, oversize: 100, rateLimit: 10 };

/** A score at or above this disconnects the peer and bans it for `banMs`. */
export const BAN_THRESHOLD = 100;

/**
 * What 2,000 silent TCP sockets from one address may cost the listening process: peak RSS growth
 * and heap still held once all are open. The half-open budget keeps at most `maxHalfOpenPerSource`
 * of them, so the held heap stays small (before the budgets all 2,000 were held for 24 s: about
 * 5 MiB of heap); the RSS peak is mostly the garbage of accepting and closing them (10-13 MiB
 * measured on 2 cores), with headroom for a loaded machine. Checked by
 * test/unit/p2p/budgets.test.ts; `npm run bench connBudget` prints the figures.
 */
export const SILENT_SOCKETS_RSS_BOUND = { sockets: 2_000, bytes: 24 * 1024 * 1024, heldBytes: 1024 * 1024 } as const;

export interface BanEvent {
  /** `id:<node id>`, `ip:<host>` or `net:<prefix>` (one event per key). */
  key: string;
  until: number;
  reason: string;
  host: string;
  /** Node id, '' when banned before the handshake finished. */
  id: string;
  score: number;
}

export interface RefusedEvent {
  host: string;
  /** Dialled port (outbound) or advertised listen port (inbound; 0 if no hello arrived). */
  port: number;
  direction: Direction;
  /** Claimed node id, '' if no hello arrived. */
  id: string;
  reason: string;
}

/** Request/reply exchanges without item ids: one answer per request, in order. */
export type ExchangeKind = 'getblocks' | 'getheaders';

export interface P2PEvents {
  'peer:connected': [peer: Peer];
  'peer:disconnected': [peer: Peer, reason: string];
  'peer:banned': [ban: BanEvent];
  /** A connection that closed before its handshake completed, and why (either side's reason). */
  'peer:refused': [info: RefusedEvent];
  /** Every post-handshake message except ping/pong, decoded and typed. */
  message: [peer: Peer, msg: Message];
  /** Item requests that timed out; their slots are free and the node may ask elsewhere. */
  'request:expired': [peer: Peer, items: InvItem[]];
  /** A getheaders/getblocks that got no answer within `requestTimeoutMs`. */
  'exchange:expired': [peer: Peer, kind: ExchangeKind];
}

export interface RequestResult {
  /** Sent now in a getdata. */
  sent: InvItem[];
  /** Waiting for a free in-flight slot with this peer; sent automatically as slots free. */
  queued: InvItem[];
  /** Already in flight (with this or another peer), already queued, or over the queue bound. */
  skipped: InvItem[];
}

interface P2PBaseOptions {
  /** 32-byte Ed25519 node key seed; the node id is SHA-256 of its public key. */
  secretKey: Uint8Array;
  host: string;
  /** 0 picks a free port; read the real one from `port` after start(). */
  port: number;
  /** Our best tip, sent in every hello. */
  getTip: () => TipInfo;
  logger?: Logger;
  banStore?: BanStore;
  limits?: Partial<P2PLimits>;
  penalties?: Partial<P2PPenalties>;
}

/** `genesisHash` and `genesis` name the same 32-byte genesis block id (`genesis` is the older spelling). */
export type P2POptions = P2PBaseOptions & ({ genesisHash: Uint8Array; genesis?: undefined } | { genesis: Uint8Array; genesisHash?: undefined });

export interface P2PStats {
  /** WebSocket connections, including those still in the handshake. */
  connections: number;
  /** Inbound connections not yet handshaken: TCP sockets before the upgrade plus WebSockets before the proof. */
  halfOpen: number;
  peers: number;
  inbound: number;
  outbound: number;
  candidates: number;
  bans: number;
  seen: number;
  inflight: number;
  /** Inbound connections closed at accept since start: their source was over its connect rate. */
  connectsThrottled: number;
  /** Inbound connections closed with 'busy' since start: over the global handshake budget. */
  handshakesThrottled: number;
}

export function resolveLimits(over: Partial<P2PLimits> | undefined): P2PLimits {
  const l: P2PLimits = { ...DEFAULT_P2P_LIMITS };
  for (const [k, v] of Object.entries(over ?? {})) if (v !== undefined) (l as unknown as Record<string, unknown>)[k] = v;
  for (const [k, v] of Object.entries(l)) {
    if (typeof v === 'boolean') continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new P2PError('invalid-option', `limits.${k}: expected a non-negative number, got ${String(v)}`);
  }
  if (l.maxPayload < 1024) throw new P2PError('invalid-option', 'limits.maxPayload: expected at least 1024 bytes');
  if (l.preHandshakeBytes < 4096) throw new P2PError('invalid-option', `limits.preHandshakeBytes: expected at least 4096 bytes (a hello and its proof), got ${l.preHandshakeBytes}`);
  if (l.maxConnections < l.maxInbound + l.maxHalfOpen) {
    throw new P2PError('invalid-option', `limits.maxConnections: expected at least maxInbound + maxHalfOpen (${l.maxInbound + l.maxHalfOpen}), got ${l.maxConnections}`);
  }
  return l;
}

/** @internal What the network's parts share: its state and its few primitive actions. */
export interface NetContext {
  readonly limits: Readonly<P2PLimits>;
  readonly penalties: Readonly<P2PPenalties>;
  readonly log: Logger;
  readonly nodeId: string;
  readonly genesis: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
  /** Every socket, handshaking or ready. */
  readonly conns: Set<Peer>;
  /** Ready peers by node id. */
  readonly byId: Map<string, Peer>;
  /** Bodies that passed through this node (received, sent, announced). */
  readonly seen: LruSet;
  isRunning(): boolean;
  listenPort(): number;
  getTip(): TipInfo;
  emit<E extends keyof P2PEvents>(name: E, ...args: P2PEvents[E]): boolean;
  /** The one place bytes hit a socket. */
  write(peer: Peer, bytes: Uint8Array): boolean;
  disconnect(peer: Peer, reason: string): void;
}
