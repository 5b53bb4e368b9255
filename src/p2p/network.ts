// The WebSocket network service: one listener, the signed handshake, typed message events,
// announce-then-fetch plumbing (seen LRUs, in-flight limits), misbehaviour scores and persisted
// bans, rate / slow-reader / keep-alive protection, and the peer manager that keeps about
// `maxOutbound` connections from a pool of candidates. It moves messages and reports misbehaviour;
// it never interprets a block or a transaction (the node does, and calls `misbehave`).
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { DecodeError } from '../core/index.js';
import { nodeIdFromPublicKey, publicKeyFromSecret, toHex } from '../crypto/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { BanList, hostBanKey, idBanKey, isLoopback, normaliseHost, type BanEntry, type BanStore } from './bans.js';
import { CandidatePool, addressOf, type Candidate } from './candidates.js';
import { P2PError, closeCodeFor, isP2PReason, type P2PReason } from './errors.js';
import { checkHello, keepNewConnection, signHandshake, verifyHandshake } from './handshake.js';
import { LruSet, idKey } from './lru.js';
import { MAX_INV_ITEMS, PROTOCOL_VERSION, bodyId, decodeMessage, encodeMessage, type InvItem, type InvType, type Message, type MessageOf, type TipInfo } from './messages.js';
import { Peer, type Direction, type PeerInfo } from './peer.js';

export interface P2PLimits {
  /** Largest WebSocket message accepted (server and client); larger frames close the socket and score `oversize`. */
  maxPayload: number;
  /** hello + helloAck must complete within this. */
  handshakeTimeoutMs: number;
  /** A keep-alive ping is sent this often. */
  pingIntervalMs: number;
  /** A peer that sends nothing (not even a pong) for this long is dropped. */
  idleTimeoutMs: number;
  maxOutbound: number;
  maxInbound: number;
  /** Inbound connections per remote IP, loopback exempt. */
  maxInboundPerIp: number;
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
}

export const DEFAULT_P2P_LIMITS: Readonly<P2PLimits> = {
  maxPayload: 4 * 1024 * 1024,
  handshakeTimeoutMs: 5_000,
  pingIntervalMs: 30_000,
  idleTimeoutMs: 120_000,
  maxOutbound: 8,
  maxInbound: 32,
  maxInboundPerIp: 4,
  messagesPerSecond: 200,
  messageBurst: 2_000,
  maxBufferedBytes: 16 * 1024 * 1024,
  slowReaderMs: 10_000,
  maxInflightPerPeer: 16,
  maxInflightTxsPerPeer: 64,
  maxQueuedPerPeer: 50_000,
  requestTimeoutMs: 30_000,
  knownIdsPerPeer: 5_000,
  seenIds: 50_000,
  banMs: 24 * 60 * 60 * 1000,
  banLoopbackHosts: false,
  dialIntervalMs: 1_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 5 * 60 * 1000,
  maxCandidates: 1_000,
};

/** Points p2p adds by itself. The node adds its own through `misbehave` (invalid block 100, invalid tx 10, ...). */
export interface P2PPenalties {
  /** A frame that does not decode, a text frame, a repeated handshake message. */
  malformed: number;
  /** A body we did not ask for (block/tx without getdata, blocks without getblocks). */
  unrequested: number;
  /** A frame over maxPayload (our own sender never builds one). */
  oversize: number;
  /** Each message over the token-bucket allowance (the message is dropped). */
  rateLimit: number;
}

export const DEFAULT_PENALTIES: Readonly<P2PPenalties> = { malformed: 20, unrequested: 5, oversize: 100, rateLimit: 10 };

/** A score at or above this disconnects the peer and bans it for `banMs`. */
export const BAN_THRESHOLD = 100;

export interface BanEvent {
  /** `id:<node id>` or `ip:<host>` (one event per key). */
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

export interface P2PEvents {
  'peer:connected': [peer: Peer];
  'peer:disconnected': [peer: Peer, reason: string];
  'peer:banned': [ban: BanEvent];
  /** A connection that closed before its handshake completed, and why (either side's reason). */
  'peer:refused': [info: RefusedEvent];
  /** Every post-handshake message except ping/pong, decoded and typed. */
  message: [peer: Peer, msg: Message];
  /** Requests that timed out; their slots are free and the node may ask elsewhere. */
  'request:expired': [peer: Peer, items: InvItem[]];
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
  /** Sockets, including those still in the handshake. */
  connections: number;
  peers: number;
  inbound: number;
  outbound: number;
  candidates: number;
  bans: number;
  seen: number;
  inflight: number;
}

const SCORE_MEMORY = 10_000;
const SCORE_HALF_LIFE_MS = 60 * 60 * 1000;
const SOURCE_PULLS_PER_TICK = 64;

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) {
    const b = Buffer.concat(data);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function checkLimits(l: P2PLimits): void {
  for (const [k, v] of Object.entries(l)) {
    if (typeof v === 'boolean') continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new P2PError('invalid-option', `limits.${k}: expected a non-negative number, got ${String(v)}`);
  }
  if (l.maxPayload < 1024) throw new P2PError('invalid-option', 'limits.maxPayload: expected at least 1024 bytes');
}

export class P2PNetwork extends EventEmitter<P2PEvents> {
  readonly publicKey: Uint8Array;
  /** Hex node id (SHA-256 of the public key). */
  readonly nodeId: string;
  readonly genesis: Uint8Array;
  readonly limits: Readonly<P2PLimits>;
  readonly penalties: Readonly<P2PPenalties>;
  private readonly secretKey: Uint8Array;
  private readonly log: Logger;
  private readonly bans: BanList;
  private readonly pool: CandidatePool;
  /** Every socket, handshaking or ready. */
  private readonly conns = new Set<Peer>();
  /** Ready peers by node id. */
  private readonly byId = new Map<string, Peer>();
  private readonly dials = new Map<string, Promise<Peer>>();
  /** Bodies that passed through this node (received, sent, announced). */
  private readonly seen: LruSet;
  /** Which peer a body is being fetched from: the same body is not fetched twice at once. */
  private readonly fetching = new Map<string, Peer>();
  /** Scores of recently disconnected ids: reconnecting does not wipe a bad record. */
  private readonly scoreMemory = new Map<string, { score: number; at: number }>();
  private readonly sources: { it: AsyncIterator<Candidate>; busy: boolean }[] = [];
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly rawSockets = new Set<Socket>();
  private tickTimer: NodeJS.Timeout | undefined;
  private dialTimer: NodeJS.Timeout | undefined;
  private dialScheduled = false;
  private pullBudget = SOURCE_PULLS_PER_TICK;
  private running = false;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private boundPort = 0;

  constructor(private readonly opts: P2POptions) {
    super();
    const genesis = opts.genesisHash ?? opts.genesis;
    if (!(genesis instanceof Uint8Array) || genesis.length !== 32) throw new P2PError('invalid-option', 'genesisHash: expected 32 bytes');
    if (!(opts.secretKey instanceof Uint8Array) || opts.secretKey.length !== 32) throw new P2PError('invalid-option', 'secretKey: expected 32 bytes');
    this.genesis = Uint8Array.from(genesis);
    this.secretKey = Uint8Array.from(opts.secretKey);
    this.publicKey = publicKeyFromSecret(this.secretKey);
    this.nodeId = toHex(nodeIdFromPublicKey(this.publicKey));
    const limits: P2PLimits = { ...DEFAULT_P2P_LIMITS };
    for (const [k, v] of Object.entries(opts.limits ?? {})) if (v !== undefined) (limits as unknown as Record<string, unknown>)[k] = v;
    checkLimits(limits);
    this.limits = limits;
    this.penalties = { ...DEFAULT_PENALTIES, ...opts.penalties };
    this.log = (opts.logger ?? silentLogger).child({ module: 'p2p' });
    this.bans = new BanList(opts.banStore, this.log);
    this.pool = new CandidatePool(limits.maxCandidates, { baseMs: limits.backoffBaseMs, maxMs: limits.backoffMaxMs });
    this.seen = new LruSet(limits.seenIds);
  }

  /** The listening port (the real one when started with port 0); 0 before start(). */
  get port(): number {
    return this.boundPort;
  }

  get isRunning(): boolean {
    return this.running;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Loads bans, starts listening, starts the keep-alive and dial timers. Idempotent. */
  start(): Promise<void> {
    if (this.stopping) return this.stopping.then(() => this.start());
    this.starting ??= this.doStart().catch(async (e: unknown) => {
      this.starting = undefined;
      await this.teardown();
      throw e;
    });
    return this.starting;
  }

  private async doStart(): Promise<void> {
    await this.bans.load();
    const l = this.limits;
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end('kadchain p2p: WebSocket only\n');
    });
    // Slow or silent HTTP clients must not hold sockets: the upgrade is part of the handshake budget.
    http.headersTimeout = l.handshakeTimeoutMs;
    http.requestTimeout = l.handshakeTimeoutMs;
    http.keepAliveTimeout = 1_000;
    http.on('connection', (s: Socket) => {
      this.rawSockets.add(s);
      s.once('close', () => this.rawSockets.delete(s));
    });
    const wss = new WebSocketServer({ noServer: true, maxPayload: l.maxPayload, perMessageDeflate: false, clientTracking: false });
    http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (!this.running) return void socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => this.onInbound(ws, req));
    });
    this.http = http;
    this.wss = wss;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.opts.port, this.opts.host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    http.on('error', (e) => this.log.warn('listener error', { err: String(e) }));
    this.boundPort = (http.address() as AddressInfo).port;
    this.running = true;
    const tickMs = Math.max(10, Math.min(1_000, Math.floor(Math.min(l.pingIntervalMs, l.idleTimeoutMs, l.slowReaderMs, l.requestTimeoutMs) / 4)));
    this.tickTimer = setInterval(() => this.tick(), tickMs);
    this.dialTimer = setInterval(() => {
      this.pullBudget = SOURCE_PULLS_PER_TICK;
      this.dialMore();
    }, Math.max(10, l.dialIntervalMs));
    this.log.info('p2p listening', { host: this.opts.host, port: this.boundPort, id: this.nodeId, protocol: PROTOCOL_VERSION });
    this.scheduleDial();
  }

  /** Closes every socket (reason `shutdown`), the listener and all timers, and flushes bans. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    if (!this.starting) return Promise.resolve();
    this.stopping = (async () => {
      await this.starting?.catch(() => {});
      await this.teardown();
      this.starting = undefined;
    })().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async teardown(): Promise<void> {
    this.running = false;
    clearInterval(this.tickTimer);
    clearInterval(this.dialTimer);
    this.tickTimer = this.dialTimer = undefined;
    for (const s of this.sources.splice(0)) void Promise.resolve(s.it.return?.()).catch(() => {});
    const closing: Promise<void>[] = [];
    for (const p of [...this.conns]) {
      if (p.ws.readyState !== WebSocket.CLOSED) closing.push(new Promise<void>((r) => p.ws.once('close', () => r())));
      this.disconnect(p, 'shutdown');
    }
    // Let close frames go out so peers see the reason, but never wait on a stuck peer.
    if (closing.length) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(closing), new Promise<void>((r) => (t = setTimeout(r, 500)))]);
      clearTimeout(t);
    }
    this.wss?.close();
    this.wss = undefined;
    if (this.http) {
      const http = this.http;
      this.http = undefined;
      for (const s of this.rawSockets) s.destroy();
      this.rawSockets.clear();
      await new Promise<void>((r) => http.close(() => r()));
    }
    this.fetching.clear();
    await this.bans.flush();
  }

  // ---------------------------------------------------------------- queries

  /** Ready (handshaken) peers. */
  peers(): Peer[] {
    return [...this.byId.values()];
  }

  /** Ready peers as plain records for the API. */
  peerInfos(): PeerInfo[] {
    return this.peers().map((p) => p.info());
  }

  /** The ready peer with this hex node id. */
  peer(id: string): Peer | undefined {
    return this.byId.get(id.toLowerCase());
  }

  get outboundCount(): number {
    let n = 0;
    for (const p of this.byId.values()) if (p.direction === 'outbound') n++;
    return n;
  }

  stats(): P2PStats {
    let inbound = 0;
    let inflight = 0;
    for (const p of this.conns) {
      if (p.direction === 'inbound') inbound++;
      inflight += p.inflight.size;
    }
    return {
      connections: this.conns.size, peers: this.byId.size, inbound, outbound: this.conns.size - inbound, candidates: this.pool.size,
      bans: this.bans.size, seen: this.seen.size, inflight,
    };
  }

  /** True while a ban on this key (`ip:<host>` or `id:<node id>`) is in force. */
  isBanned(key: string): boolean {
    return this.bans.isBanned(key);
  }

  bannedList(): BanEntry[] {
    return this.bans.list();
  }

  /** Whether a body with this id passed through this node recently (received, sent or announced). */
  seenBefore(id: Uint8Array | string): boolean {
    return this.seen.has(idKey(id));
  }

  markSeen(id: Uint8Array | string): void {
    this.seen.add(idKey(id));
  }

  // ---------------------------------------------------------------- sending

  /**
   * Sends one message to a ready peer; false when it is gone, the message cannot fit `maxPayload`,
   * or the peer is dropped as a slow reader. A `blocks` reply is cut to fit maxPayload (the
   * receiver asks again from its new locator). No de-duplication here: see sendBlock / sendTx.
   */
  send(peer: Peer, m: Message): boolean {
    if (!peer.connected) return false;
    const msg = m.kind === 'blocks' ? this.fitBlocks(m) : m;
    const bytes = encodeMessage(msg);
    if (bytes.length > this.limits.maxPayload) {
      this.log.warn('message over maxPayload not sent', { kind: m.kind, bytes: bytes.length, peer: peer.id.slice(0, 16) });
      return false;
    }
    this.noteSent(peer, msg);
    return this.write(peer, bytes);
  }

  /** Sends a block body unless the peer already has it (it announced or was sent it). */
  sendBlock(peer: Peer, bytes: Uint8Array): boolean {
    return this.sendBody(peer, 'block', bytes);
  }

  /** Sends a transaction body unless the peer already has it. */
  sendTx(peer: Peer, bytes: Uint8Array): boolean {
    return this.sendBody(peer, 'tx', bytes);
  }

  private sendBody(peer: Peer, type: InvType, bytes: Uint8Array): boolean {
    const k = idKey(bodyId(type, bytes));
    if (peer.has.has(k)) return false;
    return type === 'block' ? this.send(peer, { kind: 'block', bytes }) : this.send(peer, { kind: 'tx', bytes });
  }

  /** Sends to every ready peer but `except`; returns how many it went to. */
  broadcast(m: Message, except?: Peer): number {
    let n = 0;
    for (const p of this.peers()) if (p !== except && this.send(p, m)) n++;
    return n;
  }

  /**
   * Announces ids (`inv`) to every ready peer except `except` that is not known to have them.
   * Returns the number of peers an inv went to.
   */
  announce(type: InvType, ids: Uint8Array | Uint8Array[], except?: Peer): number {
    const list = Array.isArray(ids) ? ids : [ids];
    const keys = list.map((id) => idKey(id));
    for (const k of keys) this.seen.add(k);
    let n = 0;
    for (const p of this.peers()) {
      if (p === except) continue;
      const items: InvItem[] = [];
      for (let i = 0; i < list.length; i++) if (!p.known.has(keys[i]!)) items.push({ type, id: list[i]! });
      if (!items.length) continue;
      let ok = false;
      for (let i = 0; i < items.length; i += MAX_INV_ITEMS) ok = this.send(p, { kind: 'inv', items: items.slice(i, i + MAX_INV_ITEMS) }) || ok;
      if (ok) n++;
    }
    return n;
  }

  /**
   * Asks a peer for bodies (`getdata`) within its in-flight limits; the rest wait in its queue and
   * go out as answers (or notfound, or expiry) free slots. Ids already being fetched from anyone
   * are skipped, so one body is not downloaded twice at once.
   */
  request(peer: Peer, items: InvItem[]): RequestResult {
    const res: RequestResult = { sent: [], queued: [], skipped: [] };
    if (!peer.connected) return { ...res, skipped: [...items] };
    const now = Date.now();
    for (const it of items) {
      const k = idKey(it.id);
      if (this.fetching.has(k) || peer.inflight.has(k) || peer.queued.has(k)) res.skipped.push(it);
      else if (peer.inflightCount(it.type) < this.inflightLimit(it.type)) {
        peer.addInflight(k, it, now);
        this.fetching.set(k, peer);
        res.sent.push(it);
      } else if (peer.queue.length < this.limits.maxQueuedPerPeer) {
        peer.queue.push(it);
        peer.queued.add(k);
        res.queued.push(it);
      } else res.skipped.push(it);
    }
    if (res.sent.length) this.write(peer, encodeMessage({ kind: 'getdata', items: res.sent }));
    return res;
  }

  private inflightLimit(type: InvType): number {
    return type === 'block' ? this.limits.maxInflightPerPeer : this.limits.maxInflightTxsPerPeer;
  }

  /** Moves queued requests into free in-flight slots. */
  private pump(peer: Peer): void {
    if (!peer.connected || !peer.queue.length) return;
    const now = Date.now();
    const out: InvItem[] = [];
    const keep: InvItem[] = [];
    for (const it of peer.queue) {
      const k = idKey(it.id);
      if (this.seen.has(k) || this.fetching.has(k)) {
        peer.queued.delete(k); // arrived, or being fetched elsewhere, meanwhile
      } else if (peer.inflightCount(it.type) < this.inflightLimit(it.type)) {
        peer.queued.delete(k);
        peer.addInflight(k, it, now);
        this.fetching.set(k, peer);
        out.push(it);
      } else keep.push(it);
    }
    peer.queue.splice(0, peer.queue.length, ...keep);
    if (out.length) this.write(peer, encodeMessage({ kind: 'getdata', items: out }));
  }

  /** Bookkeeping for what a peer now has or was asked for, whatever path the message took. */
  private noteSent(peer: Peer, m: Message): void {
    switch (m.kind) {
      case 'inv':
        for (const it of m.items) peer.markAnnounced(idKey(it.id));
        return;
      case 'block':
      case 'tx': {
        const k = idKey(bodyId(m.kind, m.bytes));
        peer.markKnown(k);
        this.seen.add(k);
        return;
      }
      case 'blocks':
        for (const b of m.blocks) peer.markKnown(idKey(bodyId('block', b)));
        return;
      case 'getdata': {
        // The node may fetch with a raw getdata too: record it so the answer counts as requested.
        const now = Date.now();
        for (const it of m.items) {
          const k = idKey(it.id);
          peer.addInflight(k, it, now);
          if (!this.fetching.has(k)) this.fetching.set(k, peer);
        }
        return;
      }
      case 'getblocks':
        peer.pendingGetblocks++;
        return;
      default:
        return;
    }
  }

  private fitBlocks(m: MessageOf<'blocks'>): MessageOf<'blocks'> {
    let size = 2 + 2;
    let n = 0;
    for (const b of m.blocks) {
      if (size + 4 + b.length > this.limits.maxPayload) break;
      size += 4 + b.length;
      n++;
    }
    if (n === m.blocks.length) return m;
    this.log.debug('blocks reply cut to fit maxPayload', { asked: m.blocks.length, sent: n });
    return { kind: 'blocks', blocks: m.blocks.slice(0, n) };
  }

  /** The one place bytes hit a socket: enforces the hard send-buffer bound. */
  private write(peer: Peer, bytes: Uint8Array): boolean {
    const ws = peer.ws;
    if (peer.dropped || ws.readyState !== WebSocket.OPEN) return false;
    if (ws.bufferedAmount + bytes.length > 4 * this.limits.maxBufferedBytes) {
      this.disconnect(peer, 'slow-reader');
      return false;
    }
    ws.send(bytes, { binary: true });
    return true;
  }

  // ---------------------------------------------------------------- scoring and bans

  /**
   * Adds misbehaviour points (the node: invalid block 100, invalid tx 10, ...). At BAN_THRESHOLD
   * the peer is disconnected and banned for `banMs`, even if it already disconnected.
   */
  misbehave(peer: Peer, points: number, reason: string): void {
    if (!Number.isFinite(points) || points <= 0) return;
    peer.score += points;
    this.log.debug('peer misbehaved', { peer: peer.id.slice(0, 16), host: peer.host, points, reason, score: peer.score });
    if (peer.score >= BAN_THRESHOLD) this.ban(peer, reason);
    else if (peer.dropped) this.rememberScore(peer);
  }

  /** Bans the peer's node id (and its host unless loopback-exempt) and disconnects it. */
  ban(peer: Peer, reason: string, ms = this.limits.banMs): void {
    if (peer.banned) return;
    peer.banned = true;
    const until = Date.now() + ms;
    const keys: string[] = [];
    if (peer.id) keys.push(idBanKey(peer.id));
    if (this.hostBannable(peer.host)) keys.push(hostBanKey(peer.host));
    for (const key of keys) {
      this.bans.add(key, until);
      this.emit('peer:banned', { key, until, reason, host: peer.host, id: peer.id, score: peer.score });
    }
    this.scoreMemory.delete(peer.id);
    this.log.info('peer banned', { peer: peer.id.slice(0, 16), host: peer.host, reason, score: peer.score, until: new Date(until).toISOString() });
    this.disconnect(peer, 'banned');
    if (this.hostBannable(peer.host)) for (const p of [...this.conns]) if (p.host === peer.host) this.disconnect(p, 'banned');
  }

  /** Bans an address outright (e.g. from an operator command) and drops its connections. */
  banHost(host: string, reason: string, ms = this.limits.banMs): void {
    const h = normaliseHost(host);
    const until = Date.now() + ms;
    this.bans.add(hostBanKey(h), until);
    this.emit('peer:banned', { key: hostBanKey(h), until, reason, host: h, id: '', score: 0 });
    for (const p of [...this.conns]) if (p.host === h) this.disconnect(p, 'banned');
  }

  private hostBannable(host: string): boolean {
    return this.limits.banLoopbackHosts || !isLoopback(host);
  }

  private hostBanned(host: string): boolean {
    return this.hostBannable(host) && this.bans.isBanned(hostBanKey(host));
  }

  private rememberScore(peer: Peer): void {
    if (!peer.id || peer.score <= 0 || peer.banned) return;
    this.scoreMemory.delete(peer.id);
    this.scoreMemory.set(peer.id, { score: peer.score, at: Date.now() });
    if (this.scoreMemory.size > SCORE_MEMORY) this.scoreMemory.delete(this.scoreMemory.keys().next().value!);
  }

  private recalledScore(id: string): number {
    const r = this.scoreMemory.get(id);
    if (!r) return 0;
    return Math.round(r.score * 0.5 ** ((Date.now() - r.at) / SCORE_HALF_LIFE_MS));
  }

  // ---------------------------------------------------------------- connections

  /** Closes a peer with a reason the other side sees; events fire at once. */
  disconnect(peer: Peer, reason: string): void {
    if (peer.dropped) return;
    peer.closeReason = reason;
    const ws = peer.ws;
    try {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(closeCodeFor(reason), reason.slice(0, 120));
    } catch {
      ws.terminate();
    }
    // A peer that never answers our close frame is cut off.
    if (ws.readyState !== WebSocket.CLOSED) peer.killTimer = setTimeout(() => ws.terminate(), 2_000);
    this.drop(peer, reason);
  }

  private drop(peer: Peer, reason: string): void {
    if (peer.dropped) return;
    peer.dropped = true;
    this.conns.delete(peer);
    clearTimeout(peer.hsTimer);
    for (const k of peer.inflight.keys()) if (this.fetching.get(k) === peer) this.fetching.delete(k);
    peer.queue.length = 0;
    peer.queued.clear();
    this.rememberScore(peer);
    if (!peer.ready) {
      peer.settle?.(reason);
      peer.settle = undefined;
      this.log.debug('handshake failed', { host: peer.host, port: peer.listenPort, direction: peer.direction, reason });
      this.emit('peer:refused', { host: peer.host, port: peer.listenPort, direction: peer.direction, id: peer.id, reason });
      return;
    }
    if (this.byId.get(peer.id) === peer) {
      this.byId.delete(peer.id);
      if (peer.direction === 'outbound') this.pool.onDisconnected(peer.address, Date.now(), Date.now() - peer.connectedAt);
      this.log.info('peer disconnected', { peer: peer.id.slice(0, 16), host: peer.host, port: peer.listenPort, reason });
      this.emit('peer:disconnected', peer, reason);
      this.scheduleDial();
    }
  }

  /** Dials host:port; resolves undefined when refused or unreachable (see `dial` for the reason). */
  connect(host: string, port: number): Promise<Peer | undefined> {
    return this.dial(host, port).catch((e: unknown) => {
      this.log.debug('dial failed', { host, port, reason: e instanceof P2PError ? e.reason : String(e) });
      return undefined;
    });
  }

  /** Dials host:port and completes the handshake; rejects with P2PError naming the refusal. */
  dial(host: string, port: number): Promise<Peer> {
    const h = normaliseHost(host);
    const addr = addressOf({ host: h, port });
    if (!this.running) return Promise.reject(new P2PError('not-started', 'p2p network is not running'));
    if (this.hostBanned(h)) return Promise.reject(new P2PError('banned', `${h} is banned`));
    if (this.isSelfAddress(h, port)) return Promise.reject(new P2PError('self-connection', `${addr} is our own listener`));
    const pending = this.dials.get(addr);
    if (pending) return pending;
    for (const p of this.byId.values()) if (p.direction === 'outbound' && p.address === addr) return Promise.resolve(p);
    const promise = new Promise<Peer>((resolve, reject) => {
      const url = `ws://${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
      const l = this.limits;
      const ws = new WebSocket(url, { maxPayload: l.maxPayload, perMessageDeflate: false, handshakeTimeout: l.handshakeTimeoutMs });
      const peer = this.attach(ws, h, 'outbound', port);
      let opened = false;
      ws.once('open', () => (opened = true));
      peer.settle = (reason) => {
        if (reason === undefined) return resolve(peer);
        const r: P2PReason = isP2PReason(reason) ? reason : opened ? 'closed' : 'unreachable';
        reject(new P2PError(r, `dial ${addr}: ${reason}`, { host: h, port }));
      };
    });
    this.dials.set(addr, promise);
    promise.then(
      (p) => {
        this.dials.delete(addr);
        this.pool.add({ id: p.id, host: h, port });
        this.pool.onConnected(addr, p.id);
      },
      (e: unknown) => {
        this.dials.delete(addr);
        const r = e instanceof P2PError ? e.reason : 'closed';
        this.pool.onFailure(addr, Date.now(), r === 'wrong-genesis' || r === 'self-connection' || r === 'bad-version');
      },
    );
    return promise;
  }

  private isSelfAddress(host: string, port: number): boolean {
    if (port !== this.boundPort) return false;
    const ours = this.opts.host;
    return host === ours || (isLoopback(host) && (isLoopback(ours) || ours === '0.0.0.0' || ours === '::'));
  }

  private onInbound(ws: WebSocket, req: IncomingMessage): void {
    const host = normaliseHost(req.socket.remoteAddress);
    if (!this.running) return ws.terminate();
    const refuse = (reason: P2PReason): void => {
      ws.on('error', () => {});
      const t = setTimeout(() => ws.terminate(), 2_000);
      ws.once('close', () => clearTimeout(t));
      ws.close(closeCodeFor(reason), reason);
      this.log.debug('inbound refused', { host, reason });
      this.emit('peer:refused', { host, port: 0, direction: 'inbound', id: '', reason });
    };
    if (this.hostBanned(host)) return refuse('banned');
    let inbound = 0;
    let sameHost = 0;
    for (const p of this.conns) {
      if (p.direction !== 'inbound') continue;
      inbound++;
      if (p.host === host) sameHost++;
    }
    if (inbound >= this.limits.maxInbound) return refuse('too-many-peers');
    if (!isLoopback(host) && sameHost >= this.limits.maxInboundPerIp) return refuse('too-many-peers');
    this.attach(ws, host, 'inbound', 0);
  }

  private attach(ws: WebSocket, host: string, direction: Direction, port: number): Peer {
    const l = this.limits;
    const peer = new Peer(ws, host, direction, randomBytes(32), { perSecond: l.messagesPerSecond, burst: l.messageBurst }, l.knownIdsPerPeer);
    peer.listenPort = port;
    this.conns.add(peer);
    peer.hsTimer = setTimeout(() => {
      if (!peer.ready) this.disconnect(peer, 'handshake-timeout');
    }, l.handshakeTimeoutMs);
    const sendHello = (): void => {
      let tip: TipInfo;
      try {
        tip = this.opts.getTip();
      } catch (e) {
        this.log.error('getTip failed', { err: String(e) });
        return this.disconnect(peer, 'closed');
      }
      const hello: Message = { kind: 'hello', version: PROTOCOL_VERSION, genesis: this.genesis, publicKey: this.publicKey, listenPort: this.boundPort, challenge: peer.challenge, tip };
      this.write(peer, encodeMessage(hello));
    };
    if (ws.readyState === WebSocket.OPEN) sendHello();
    else ws.once('open', sendHello);
    ws.on('message', (data: RawData, isBinary: boolean) => this.onFrame(peer, data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => {
      clearTimeout(peer.killTimer);
      this.drop(peer, peer.closeReason ?? (reason.length ? reason.toString('utf8') : `closed (${code})`));
    });
    ws.on('error', (e: Error) => this.onSocketError(peer, e));
    return peer;
  }

  private onSocketError(peer: Peer, e: Error): void {
    const code = (e as { code?: unknown }).code;
    this.log.debug('socket error', { host: peer.host, peer: peer.id.slice(0, 16), code: String(code), err: e.message });
    if (peer.dropped) return;
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      if (peer.ready) this.misbehave(peer, this.penalties.oversize, 'oversize');
      this.disconnect(peer, 'oversize');
    } else if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
      // WebSocket protocol violations (bad opcode, unmasked client frame, ...): malformed traffic.
      if (peer.ready) this.misbehave(peer, this.penalties.malformed, 'ws-protocol');
      this.disconnect(peer, 'malformed');
    }
  }

  // ---------------------------------------------------------------- receiving

  private onFrame(peer: Peer, data: RawData, isBinary: boolean): void {
    if (peer.dropped) return;
    const now = Date.now();
    peer.lastSeen = now;
    if (peer.ready && !peer.takeToken(now)) {
      this.misbehave(peer, this.penalties.rateLimit, 'rate-limit');
      return;
    }
    let m: Message;
    try {
      if (!isBinary) throw new DecodeError('malformed', 'text frame');
      m = decodeMessage(toBytes(data));
    } catch (e) {
      const why = e instanceof DecodeError ? e.reason : 'malformed';
      if (!peer.ready) return this.disconnect(peer, why === 'unknown-version' ? 'bad-version' : 'malformed');
      return this.misbehave(peer, this.penalties.malformed, `malformed:${why}`);
    }
    if (!peer.ready) return this.onHandshake(peer, m);
    this.onMessage(peer, m, now);
  }

  private onHandshake(peer: Peer, m: Message): void {
    if (m.kind === 'hello' && !peer.gotHello) {
      const bad = checkHello(m, { genesis: this.genesis, publicKey: this.publicKey });
      if (bad) return this.disconnect(peer, bad);
      peer.publicKey = m.publicKey;
      peer.id = toHex(nodeIdFromPublicKey(m.publicKey));
      if (this.bans.isBanned(idBanKey(peer.id))) return this.disconnect(peer, 'banned');
      const existing = this.byId.get(peer.id);
      if (existing && !keepNewConnection(this.nodeId, peer.id, existing.direction, peer.direction)) return this.disconnect(peer, 'duplicate');
      if (peer.direction === 'inbound') peer.listenPort = m.listenPort;
      peer.tip = m.tip;
      peer.gotHello = true;
      this.write(peer, encodeMessage({ kind: 'helloAck', signature: signHandshake(m.challenge, this.genesis, this.secretKey, this.publicKey) }));
      return this.maybeReady(peer);
    }
    if (m.kind === 'helloAck' && peer.gotHello && !peer.proved) {
      if (!verifyHandshake(peer.challenge, this.genesis, peer.publicKey!, m.signature)) return this.disconnect(peer, 'bad-proof');
      peer.proved = true;
      return this.maybeReady(peer);
    }
    // Anything else before the handshake completes is a protocol violation.
    this.disconnect(peer, 'malformed');
  }

  private maybeReady(peer: Peer): void {
    if (!peer.gotHello || !peer.proved || peer.ready || peer.dropped) return;
    const existing = this.byId.get(peer.id);
    if (existing && existing !== peer) {
      // Both handshakes finished at once: both ends keep the same connection (handshake.ts).
      if (!keepNewConnection(this.nodeId, peer.id, existing.direction, peer.direction)) return this.disconnect(peer, 'duplicate');
      this.disconnect(existing, 'duplicate');
    }
    clearTimeout(peer.hsTimer);
    peer.ready = true;
    peer.lastPingAt = Date.now();
    peer.score = this.recalledScore(peer.id);
    this.scoreMemory.delete(peer.id);
    this.byId.set(peer.id, peer);
    this.log.info('peer connected', { peer: peer.id.slice(0, 16), host: peer.host, port: peer.listenPort, direction: peer.direction, height: peer.tip?.height });
    peer.settle?.(undefined);
    peer.settle = undefined;
    this.emit('peer:connected', peer);
  }

  private onMessage(peer: Peer, m: Message, now: number): void {
    switch (m.kind) {
      case 'hello':
      case 'helloAck':
        return this.misbehave(peer, this.penalties.malformed, 'handshake-repeated');
      case 'ping':
        this.write(peer, encodeMessage({ kind: 'pong', nonce: m.nonce }));
        return;
      case 'pong':
        if (peer.ping && peer.ping.nonce === m.nonce) {
          peer.latencyMs = now - peer.ping.at;
          peer.ping = undefined;
        }
        return;
      case 'tip':
        peer.tip = m.tip;
        break;
      case 'inv':
        for (const it of m.items) peer.markKnown(idKey(it.id));
        break;
      case 'block':
      case 'tx': {
        const k = idKey(bodyId(m.kind, m.bytes));
        peer.markKnown(k);
        this.seen.add(k);
        if (this.answered(peer, k)) this.pump(peer);
        else this.misbehave(peer, this.penalties.unrequested, `unrequested-${m.kind}`);
        break;
      }
      case 'notfound': {
        let freed = false;
        for (const it of m.items) freed = this.answered(peer, idKey(it.id)) || freed;
        if (freed) this.pump(peer);
        break;
      }
      case 'blocks': {
        if (peer.pendingGetblocks > 0) peer.pendingGetblocks--;
        else this.misbehave(peer, this.penalties.unrequested, 'unrequested-blocks');
        let freed = false;
        for (const b of m.blocks) {
          const k = idKey(bodyId('block', b));
          peer.markKnown(k);
          this.seen.add(k);
          freed = this.answered(peer, k) || freed;
        }
        if (freed) this.pump(peer);
        break;
      }
      case 'getdata':
      case 'getblocks':
        break;
    }
    if (!peer.dropped) this.emit('message', peer, m);
  }

  /** A request to this peer got its answer: frees the slot. */
  private answered(peer: Peer, k: string): boolean {
    if (!peer.takeInflight(k)) return false;
    if (this.fetching.get(k) === peer) this.fetching.delete(k);
    return true;
  }

  // ---------------------------------------------------------------- housekeeping

  /** Keep-alive pings, idle and slow-reader drops, request expiry. */
  private tick(): void {
    const now = Date.now();
    const l = this.limits;
    for (const peer of [...this.conns]) {
      if (!peer.ready || peer.dropped) continue;
      if (now - peer.lastSeen >= l.idleTimeoutMs) {
        this.disconnect(peer, 'idle-timeout');
        continue;
      }
      if (peer.ws.bufferedAmount > l.maxBufferedBytes) {
        peer.slowSince ??= now;
        if (now - peer.slowSince >= l.slowReaderMs) {
          this.disconnect(peer, 'slow-reader');
          continue;
        }
      } else peer.slowSince = undefined;
      if (now - peer.lastPingAt >= l.pingIntervalMs) {
        peer.lastPingAt = now;
        const nonce = randomBytes(8).readBigUInt64BE();
        peer.ping = { nonce, at: now };
        this.write(peer, encodeMessage({ kind: 'ping', nonce }));
      }
      if (peer.inflight.size) this.expireRequests(peer, now);
    }
  }

  private expireRequests(peer: Peer, now: number): void {
    const expired: InvItem[] = [];
    for (const [k, e] of peer.inflight) {
      if (now - e.at < this.limits.requestTimeoutMs) continue;
      expired.push(e.item);
      this.answered(peer, k);
    }
    if (!expired.length) return;
    this.emit('request:expired', peer, expired);
    this.pump(peer);
  }

  // ---------------------------------------------------------------- peer manager

  /** A candidate from discovery (or config); dialled in the background while below maxOutbound. */
  addCandidate(c: Candidate): boolean {
    const host = normaliseHost(c.host);
    if (c.id?.toLowerCase() === this.nodeId || this.isSelfAddress(host, c.port)) return false;
    const ok = this.pool.add(c.id ? { id: c.id, host, port: c.port } : { host, port: c.port });
    if (ok) this.scheduleDial();
    return ok;
  }

  /**
   * A stream of candidates (e.g. Kademlia lookups of random ids). It is pulled lazily, only while
   * outbound slots are free and the pool has nothing dialable, and closed by stop().
   */
  addCandidateSource(source: AsyncIterable<Candidate>): void {
    this.sources.push({ it: source[Symbol.asyncIterator](), busy: false });
    this.scheduleDial();
  }

  private scheduleDial(): void {
    if (!this.running || this.dialScheduled) return;
    this.dialScheduled = true;
    queueMicrotask(() => {
      this.dialScheduled = false;
      this.dialMore();
    });
  }

  private dialMore(): void {
    if (!this.running) return;
    let outbound = 0;
    const busy = new Set<string>(this.dials.keys());
    for (const p of this.conns) {
      if (p.direction !== 'outbound') continue;
      outbound++;
      busy.add(p.address);
    }
    const room = this.limits.maxOutbound - outbound;
    if (room <= 0) return;
    const now = Date.now();
    const allowed = (c: Candidate): boolean =>
      !busy.has(addressOf(c)) && !this.isSelfAddress(c.host, c.port) && !this.hostBanned(c.host) &&
      !(c.id && (c.id === this.nodeId || this.byId.has(c.id) || this.bans.isBanned(idBanKey(c.id))));
    const picks = this.pool.pick(room, now, allowed, this.byId.keys());
    for (const c of picks) {
      this.pool.markTried(addressOf(c), now);
      void this.connect(c.host, c.port);
    }
    if (picks.length < room) this.pullSources(room - picks.length);
  }

  private pullSources(want: number): void {
    for (const s of this.sources) {
      if (want <= 0 || this.pullBudget <= 0) return;
      if (s.busy) continue;
      s.busy = true;
      want--;
      this.pullBudget--;
      s.it.next().then(
        (r) => {
          s.busy = false;
          if (r.done) this.dropSource(s);
          else if (this.running) this.addCandidate(r.value);
        },
        (e: unknown) => {
          this.log.warn('candidate source failed', { err: String(e) });
          this.dropSource(s);
        },
      );
    }
  }

  private dropSource(s: { it: AsyncIterator<Candidate>; busy: boolean }): void {
    const i = this.sources.indexOf(s);
    if (i >= 0) this.sources.splice(i, 1);
  }
}
