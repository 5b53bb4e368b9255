// The WebSocket network service: the facade the node talks to. It owns the lifecycle and the
// connection set (disconnect, drop), and routes each decoded message through the request tracker
// before handing it on as a typed `message` event. The jobs live in their own files: listener.ts
// (listener, handshake), connect-rate.ts and budget.ts (inbound admission), manager.ts (dialing),
// sending.ts (send, announce, exchange, the socket write), keepalive.ts, scoring.ts (scores,
// bans), requests.ts (the one request tracker), routing.ts (what each message updates). It never
// interprets a block or a tx.
import { EventEmitter } from 'node:events';
import { WebSocket } from 'ws';
import { nodeIdFromPublicKey, publicKeyFromSecret, toHex } from '../crypto/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { BanList, type BanEntry } from './bans.js';
import type { Candidate } from './candidates.js';
import {
  DEFAULT_PENALTIES, resolveLimits,
  type NetContext, type P2PEvents, type P2PLimits, type P2POptions, type P2PPenalties, type P2PStats, type RequestResult,
} from './config.js';
import { monotonicNow } from '../core/index.js';
import { P2PError, closeCodeFor } from './errors.js';
import { KeepAlive } from './keepalive.js';
import { Listener } from './listener.js';
import { LruSet, idKey } from './lru.js';
import { PeerManager } from './manager.js';
import { PROTOCOL_VERSION, bodyId, type InvItem, type InvType, type Message, type MessageOf } from './messages.js';
import type { Peer, PeerInfo } from './peer.js';
import { RequestTracker } from './requests.js';
import { routeIncoming } from './routing.js';
import { Scoring } from './scoring.js';
import { Sender } from './sending.js';

export class P2PNetwork extends EventEmitter<P2PEvents> {
  readonly publicKey: Uint8Array;
  /** Hex node id (SHA-256 of the public key). */
  readonly nodeId: string;
  readonly genesis: Uint8Array;
  readonly limits: Readonly<P2PLimits>;
  readonly penalties: Readonly<P2PPenalties>;
  /** The one request tracker (items and exchanges): consumers cancel and inspect through it. */
  readonly requests: RequestTracker;
  private readonly log: Logger;
  private readonly ctx: NetContext;
  private readonly scoring: Scoring;
  private readonly listener: Listener;
  private readonly manager: PeerManager;
  private readonly keepAlive: KeepAlive;
  private readonly sender: Sender;
  private readonly conns = new Set<Peer>();
  private readonly byId = new Map<string, Peer>();
  private readonly seen: LruSet;
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
    const secretKey = Uint8Array.from(opts.secretKey);
    this.publicKey = publicKeyFromSecret(secretKey);
    this.nodeId = toHex(nodeIdFromPublicKey(this.publicKey));
    this.limits = resolveLimits(opts.limits);
    this.penalties = { ...DEFAULT_PENALTIES, ...opts.penalties };
    this.log = (opts.logger ?? silentLogger).child({ module: 'p2p' });
    this.seen = new LruSet(this.limits.seenIds);
    this.ctx = {
      limits: this.limits, penalties: this.penalties, log: this.log, nodeId: this.nodeId, genesis: this.genesis, publicKey: this.publicKey, secretKey,
      conns: this.conns, byId: this.byId, seen: this.seen,
      isRunning: () => this.running,
      listenPort: () => this.boundPort,
      getTip: () => opts.getTip(),
      emit: (name, ...args) => (this.emit as (n: string, ...a: unknown[]) => boolean)(name, ...args),
      write: (peer, bytes) => this.sender.write(peer, bytes),
      disconnect: (peer, reason) => this.disconnect(peer, reason),
    };
    this.scoring = new Scoring(this.ctx, new BanList(opts.banStore, this.log));
    this.requests = new RequestTracker(this.ctx);
    this.sender = new Sender(this.ctx, this.requests);
    this.listener = new Listener(this.ctx, this.scoring, {
      deliver: (peer, m, now) => this.onMessage(peer, m, now),
      drop: (peer, reason) => this.drop(peer, reason),
      ready: (peer) => this.emit('peer:connected', peer),
      probe: (peer) => this.keepAlive.probe(peer, monotonicNow()),
    });
    this.manager = new PeerManager(this.ctx, this.listener, this.scoring, opts.host);
    this.keepAlive = new KeepAlive(this.ctx, this.requests);
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
    await this.scoring.bans.load();
    this.boundPort = await this.listener.listen(this.opts.host, this.opts.port);
    this.running = true;
    this.keepAlive.start();
    this.manager.start();
    this.log.info('p2p listening', { host: this.opts.host, port: this.boundPort, id: this.nodeId, protocol: PROTOCOL_VERSION });
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
    this.keepAlive.stop();
    this.manager.stop();
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
    await this.listener.close();
    this.requests.clear();
    await this.scoring.bans.flush();
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
      connections: this.conns.size, halfOpen: this.listener.halfOpenCount, peers: this.byId.size, inbound, outbound: this.conns.size - inbound, candidates: this.manager.pool.size,
      bans: this.scoring.bans.size, seen: this.seen.size, inflight, connectsThrottled: this.listener.connectsThrottled, handshakesThrottled: this.listener.handshakesThrottled,
    };
  }

  /** True while a ban on this key (`ip:<host>` or `id:<node id>`) is in force. */
  isBanned(key: string): boolean {
    return this.scoring.bans.isBanned(key);
  }

  bannedList(): BanEntry[] {
    return this.scoring.bans.list();
  }

  /** Whether a body with this id passed through this node recently (received, sent or announced). */
  seenBefore(id: Uint8Array | string): boolean {
    return this.seen.has(idKey(id));
  }

  markSeen(id: Uint8Array | string): void {
    this.seen.add(idKey(id));
  }

  // ---------------------------------------------------------------- sending (sending.ts)

  /**
   * Sends one message to a ready peer; false when it is gone, the message cannot fit `maxPayload`,
   * or the peer is dropped as a slow reader. A `blocks` reply is cut to fit maxPayload (the
   * receiver asks again from its new locator). No de-duplication here: see sendBlock / sendTx.
   */
  send(peer: Peer, m: Message): boolean {
    return this.sender.send(peer, m);
  }

  /** Sends a block body unless the peer already has it (it announced or was sent it). */
  sendBlock(peer: Peer, bytes: Uint8Array): boolean {
    return this.sender.sendBody(peer, 'block', bytes);
  }

  /** Sends a transaction body unless the peer already has it. */
  sendTx(peer: Peer, bytes: Uint8Array): boolean {
    return this.sender.sendBody(peer, 'tx', bytes);
  }

  /** Sends to every ready peer but `except`; returns how many it went to. */
  broadcast(m: Message, except?: Peer): number {
    return this.sender.broadcast(m, except);
  }

  /**
   * Announces ids (`inv`) to every ready peer except `except` that is not known to have them.
   * Returns the number of peers an inv went to.
   */
  announce(type: InvType, ids: Uint8Array | Uint8Array[], except?: Peer): number {
    return this.sender.announce(type, Array.isArray(ids) ? ids : [ids], except);
  }

  /**
   * Announces a new block by its header (`headers` with one entry) to every ready peer but
   * `except` that does not know it, so they can check it before fetching. Returns the count.
   */
  announceHeader(id: Uint8Array, header: Uint8Array, except?: Peer): number {
    return this.sender.announceHeader(id, header, except);
  }

  /** Asks a peer for bodies (`getdata`) through the request tracker (see RequestTracker.request). */
  request(peer: Peer, items: InvItem[]): RequestResult {
    return this.requests.request(peer, items);
  }

  /**
   * Sends a getheaders (or getblocks) and resolves with the peer's reply; rejects with P2PError
   * 'timeout' after `requestTimeoutMs`, or 'closed' when the peer goes first. The reply does not
   * also appear as a `message` event.
   */
  exchange(peer: Peer, m: MessageOf<'getheaders'>): Promise<MessageOf<'headers'>>;
  exchange(peer: Peer, m: MessageOf<'getblocks'>): Promise<MessageOf<'blocks'>>;
  exchange(peer: Peer, m: MessageOf<'getheaders'> | MessageOf<'getblocks'>): Promise<Message> {
    return this.sender.exchange(peer, m);
  }

  // ---------------------------------------------------------------- receiving

  private onMessage(peer: Peer, m: Message, now: number): void {
    // Eviction protects peers that recently delivered what we asked for (Core: novel blocks and txs).
    const asked = (m.kind === 'block' || m.kind === 'tx') && peer.inflight.has(idKey(bodyId(m.kind, m.bytes)));
    if (!routeIncoming(this.ctx, this.requests, this.scoring, this.keepAlive, peer, m, now) || peer.dropped) return;
    if (asked && m.kind === 'block') {
      peer.lastBlockAt = Date.now(); // shown to users
      peer.lastBlockSince = now; // ordered by eviction
    } else if (asked) {
      peer.lastTxAt = Date.now();
      peer.lastTxSince = now;
    }
    this.emit('message', peer, m);
  }

  // ---------------------------------------------------------------- scoring and bans

  /**
   * Adds misbehaviour points (from the node's penalty table). At BAN_THRESHOLD the peer is
   * disconnected and banned for `banMs`, even if it already disconnected.
   */
  misbehave(peer: Peer, points: number, reason: string): void {
    this.scoring.misbehave(peer, points, reason);
  }

  /** Bans the peer's node id (and its host unless loopback-exempt) and disconnects it. */
  ban(peer: Peer, reason: string, ms = this.limits.banMs): void {
    this.scoring.ban(peer, reason, ms);
  }

  /** Bans an address outright (e.g. from an operator command) and drops its connections. */
  banHost(host: string, reason: string, ms = this.limits.banMs): void {
    this.scoring.banHost(host, reason, ms);
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
    this.requests.dropped(peer);
    if (!peer.ready) {
      peer.settle?.(reason);
      peer.settle = undefined;
      this.log.debug('handshake failed', { host: peer.host, port: peer.listenPort, direction: peer.direction, reason });
      this.emit('peer:refused', { host: peer.host, port: peer.listenPort, direction: peer.direction, id: peer.id, reason });
      return;
    }
    if (this.byId.get(peer.id) === peer) {
      this.byId.delete(peer.id);
      this.log.info('peer disconnected', { peer: peer.id.slice(0, 16), host: peer.host, port: peer.listenPort, reason });
      this.emit('peer:disconnected', peer, reason);
      this.manager.peerGone(peer);
    }
  }

  // ---------------------------------------------------------------- peer manager

  /** Dials host:port; resolves undefined when refused or unreachable (see `dial` for the reason). */
  connect(host: string, port: number): Promise<Peer | undefined> {
    return this.manager.connect(host, port);
  }

  /** Dials host:port and completes the handshake; rejects with P2PError naming the refusal. */
  dial(host: string, port: number): Promise<Peer> {
    return this.manager.dial(host, port);
  }

  /** A candidate from discovery (or config); dialled in the background while below maxOutbound. */
  addCandidate(c: Candidate): boolean {
    return this.manager.addCandidate(c);
  }

  /** A stream of candidates (e.g. Kademlia lookups of random ids), pulled lazily, closed by stop(). */
  addCandidateSource(source: AsyncIterable<Candidate>): void {
    this.manager.addCandidateSource(source);
  }
}
