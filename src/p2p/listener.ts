// The listener and the handshake: one HTTP server that only upgrades to WebSocket, inbound
// admission (the per-source connect rate; bans; the half-open budget with its upgrade deadline;
// established-slot caps and eviction), every socket's frame intake (rate bucket, strict decode), and the transcript-signed
// hello / helloAck exchange (the dialler proves first) that turns a socket into a ready peer.
// Post-handshake messages go to the network's `deliver`.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { DecodeError, monotonicNow } from '../core/index.js';
import { nodeIdFromPublicKey, toHex } from '../crypto/index.js';
import { isPublicAddress, netGroup, normaliseHost } from './bans.js';
import { HalfOpenBudget } from './budget.js';
import { HandshakeBudget } from './handshake-budget.js';
import { ConnectRateLimiter } from './connect-rate.js';
import type { NetContext } from './config.js';
import { closeCodeFor, type P2PReason } from './errors.js';
import { inboundSlotFor, type EvictionCandidate } from './eviction.js';
import { checkHello, keepNewConnection, signHandshake, verifyHandshake, type HandshakeTranscript } from './handshake.js';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage, type Message, type TipInfo } from './messages.js';
import { Peer, type Direction } from './peer.js';
import type { Scoring } from './scoring.js';

export interface ListenerHooks {
  /** A decoded post-handshake message. */
  deliver(peer: Peer, m: Message, now: number): void;
  /** The socket closed (or was closed): forget the peer. */
  drop(peer: Peer, reason: string): void;
  /** The handshake completed. */
  ready(peer: Peer): void;
  /** A second connection claims this ready peer's id: check that it is still alive. */
  probe(peer: Peer): void;
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) {
    const b = Buffer.concat(data);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class Listener {
  private http: Server | undefined;
  private wss: WebSocketServer | undefined;
  private readonly rawSockets = new Set<Socket>();
  /** Inbound sockets not yet handshaken, keyed by their TCP socket from accept to ready. */
  private readonly halfOpen: HalfOpenBudget<Socket>;
  private readonly inboundSocket = new WeakMap<Peer, Socket>();
  /** Inbound attempts per source over time: a reconnect loop gets no handshake work past it. */
  private readonly connectRate: ConnectRateLimiter;
  /** Inbound handshakes over all sources: a flood from many addresses buys a bounded amount of signature work. */
  private readonly handshakes: HandshakeBudget;

  constructor(private readonly ctx: NetContext, private readonly scoring: Scoring, private readonly hooks: ListenerHooks) {
    const l = ctx.limits;
    this.halfOpen = new HalfOpenBudget(l.maxHalfOpen, l.maxHalfOpenPerSource);
    this.connectRate = new ConnectRateLimiter({ perSecond: l.inboundConnectsPerSecond, burst: l.inboundConnectBurst, maxSources: l.maxConnectRateSources });
    this.handshakes = new HandshakeBudget({ perSecond: l.inboundHandshakesPerSecond, burst: l.inboundHandshakeBurst, hostIntervalMs: l.handshakeHostIntervalMs, maxHosts: l.maxConnectRateSources });
  }

  get halfOpenCount(): number {
    return this.halfOpen.size;
  }

  /** Inbound connections closed at accept because their source was over its connect rate. */
  get connectsThrottled(): number {
    return this.connectRate.refusedCount;
  }

  /** Inbound connections closed with 'busy' because the global handshake budget was spent. */
  get handshakesThrottled(): number {
    return this.handshakes.refusedCount;
  }

  /** Listens on host:port (0 picks one); resolves with the bound port. */
  async listen(host: string, port: number): Promise<number> {
    const l = this.ctx.limits;
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end('kadchain p2p: WebSocket only\n');
    });
    // Slow or silent HTTP clients must not hold sockets. The server's own timeouts are only checked
    // by a 30 s sweep, so each socket also gets its own deadline and a place in the half-open budget.
    http.headersTimeout = l.handshakeTimeoutMs;
    http.requestTimeout = l.handshakeTimeoutMs;
    http.keepAliveTimeout = 1_000;
    http.maxConnections = l.maxConnections;
    http.on('drop', (d?: { remoteAddress?: string }) => this.ctx.log.debug('connection dropped: maxConnections', { host: normaliseHost(d?.remoteAddress) }));
    http.on('connection', (s: Socket) => this.onSocket(s));
    const wss = new WebSocketServer({ noServer: true, maxPayload: l.maxPayload, perMessageDeflate: false, clientTracking: false });
    http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (!this.ctx.isRunning() || !this.halfOpen.has(socket)) return void socket.destroy();
      wss.handleUpgrade(req, socket, head, (ws) => this.onInbound(ws, req, socket));
    });
    this.http = http;
    this.wss = wss;
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    http.on('error', (e) => this.ctx.log.warn('listener error', { err: String(e) }));
    return (http.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.wss?.close();
    this.wss = undefined;
    if (this.http) {
      const http = this.http;
      this.http = undefined;
      this.halfOpen.clear();
      this.connectRate.clear();
      this.handshakes.clear();
      for (const s of this.rawSockets) s.destroy();
      this.rawSockets.clear();
      await new Promise<void>((r) => http.close(() => r()));
    }
  }

  /** A TCP socket was accepted: it must send its upgrade within `upgradeTimeoutMs`, inside the half-open budget. */
  private onSocket(s: Socket): void {
    const host = normaliseHost(s.remoteAddress);
    const source = Listener.sourceOf(host);
    // First and cheapest: a source over its connect rate costs one map lookup, no parse, no key.
    if ((this.ctx.limits.limitLocalConnectRate || isPublicAddress(host)) && !this.connectRate.take(source)) {
      this.ctx.log.debug('inbound refused: connect rate', { host, source });
      return void s.destroy();
    }
    this.rawSockets.add(s);
    s.once('close', () => {
      this.rawSockets.delete(s);
      this.halfOpen.release(s);
    });
    // ws clears the socket timeout once upgraded; from then on the handshake deadline runs.
    s.setTimeout(this.ctx.limits.upgradeTimeoutMs, () => s.destroy());
    this.halfOpen.admit(s, source, () => s.destroy());
  }

  /** Whom a half-open budget counts against: a public address's /24 or /64, else the host itself (loopback too). */
  private static sourceOf(host: string): string {
    return netGroup(host) ?? host;
  }

  /**
   * Whether an inbound peer from `host` may hold an established slot: room, room after evicting a
   * peer (eviction.ts), or a refusal (public address over its per-IP or per-/24|/64 cap, or every
   * established peer protected).
   */
  private inboundSlot(host: string, except?: Peer): { refuse: P2PReason } | { evict: Peer | undefined } {
    const peers: (EvictionCandidate<Peer> & { host: string })[] = [];
    for (const p of this.ctx.byId.values()) {
      if (p === except || p.direction !== 'inbound' || p.dropped) continue;
      // Monotonic times: a wall-clock step must not make a new peer look like the longest-connected.
      peers.push({ ref: p, host: p.host, group: Listener.sourceOf(p.host), connectedAt: p.connectedSince, latencyMs: p.latencyMs, lastBlockAt: p.lastBlockSince, lastTxAt: p.lastTxSince });
    }
    return inboundSlotFor(host, Listener.sourceOf(host), peers, this.ctx.limits);
  }

  private onInbound(ws: WebSocket, req: IncomingMessage, socket: Socket): void {
    const host = normaliseHost(req.socket.remoteAddress);
    if (!this.ctx.isRunning()) return ws.terminate();
    const refuse = (reason: P2PReason): void => {
      ws.on('error', () => {});
      const t = setTimeout(() => ws.terminate(), 2_000);
      ws.once('close', () => clearTimeout(t));
      ws.close(closeCodeFor(reason), reason);
      this.ctx.log.debug('inbound refused', { host, reason });
      this.ctx.emit('peer:refused', { host, port: 0, direction: 'inbound', id: '', reason });
    };
    if (this.scoring.hostBanned(host)) return refuse('banned');
    // Cheap early answer; the slot is taken (and a peer evicted) only once the newcomer is authenticated.
    const slot = this.inboundSlot(host);
    if ('refuse' in slot) return refuse(slot.refuse);
    // While the handshake budget is spent, refused before our hello; it is spent at the proof.
    if (!this.handshakes.admits(host)) return refuse('busy');
    const peer = this.attach(ws, host, 'inbound', 0);
    this.capPreHandshake(peer, socket);
    this.inboundSocket.set(peer, socket);
    // Evicted from the half-open budget: no close handshake to wait for (it may be one of thousands).
    this.halfOpen.advance(socket, () => {
      this.ctx.disconnect(peer, 'too-many-peers');
      ws.terminate();
    });
  }

  /** Wraps a socket (inbound, or outbound from the peer manager) in a Peer and starts the handshake. */
  attach(ws: WebSocket, host: string, direction: Direction, port: number): Peer {
    const l = this.ctx.limits;
    const peer = new Peer(ws, host, direction, randomBytes(32), { perSecond: l.messagesPerSecond, burst: l.messageBurst }, l.knownIdsPerPeer, l.scoreHalfLifeMs);
    peer.listenPort = port;
    this.ctx.conns.add(peer);
    peer.hsTimer = setTimeout(() => {
      if (!peer.ready) this.ctx.disconnect(peer, 'handshake-timeout');
    }, l.handshakeTimeoutMs);
    const sendHello = (): void => {
      let tip: TipInfo;
      try {
        tip = this.ctx.getTip();
      } catch (e) {
        this.ctx.log.error('getTip failed', { err: String(e) });
        return this.ctx.disconnect(peer, 'closed');
      }
      const hello: Message = { kind: 'hello', version: PROTOCOL_VERSION, genesis: this.ctx.genesis, publicKey: this.ctx.publicKey, listenPort: this.ctx.listenPort(), challenge: peer.challenge, tip };
      this.ctx.write(peer, encodeMessage(hello));
    };
    if (ws.readyState === WebSocket.OPEN) sendHello();
    else ws.once('open', sendHello);
    ws.on('message', (data: RawData, isBinary: boolean) => this.onFrame(peer, data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => {
      clearTimeout(peer.killTimer);
      this.hooks.drop(peer, peer.closeReason ?? (reason.length ? reason.toString('utf8') : `closed (${code})`));
    });
    ws.on('error', (e: Error) => this.onSocketError(peer, e));
    return peer;
  }

  /**
   * Counts what `socket` receives until the peer's helloAck arrives; past `preHandshakeBytes` the
   * peer is dropped `oversize` (ws would buffer a frame up to maxPayload before we see any of it).
   * Counted on the TCP socket, after ws's own reader, so a read that carries the helloAck has
   * already marked it when it is counted.
   */
  capPreHandshake(peer: Peer, socket: Socket): void {
    let bytes = 0;
    const onData = (chunk: Buffer): void => {
      if (peer.proofArrived || peer.dropped) return void socket.off('data', onData);
      bytes += chunk.length;
      if (bytes <= this.ctx.limits.preHandshakeBytes) return;
      socket.off('data', onData);
      this.ctx.log.debug('dropped before the handshake: too many bytes', { host: peer.host, bytes });
      this.ctx.disconnect(peer, 'oversize');
    };
    socket.on('data', onData);
  }

  private onSocketError(peer: Peer, e: Error): void {
    const code = (e as { code?: unknown }).code;
    this.ctx.log.debug('socket error', { host: peer.host, peer: peer.id.slice(0, 16), code: String(code), err: e.message });
    if (peer.dropped) return;
    if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
      if (peer.ready) this.scoring.misbehave(peer, this.ctx.penalties.oversize, 'oversize');
      this.ctx.disconnect(peer, 'oversize');
    } else if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
      // WebSocket protocol violations (bad opcode, unmasked client frame, ...): malformed traffic.
      if (peer.ready) this.scoring.misbehave(peer, this.ctx.penalties.malformed, 'ws-protocol');
      this.ctx.disconnect(peer, 'malformed');
    }
  }

  private onFrame(peer: Peer, data: RawData, isBinary: boolean): void {
    if (peer.dropped) return;
    const now = monotonicNow();
    peer.lastSeen = now;
    if (peer.ready && !peer.takeToken(now)) {
      this.scoring.misbehave(peer, this.ctx.penalties.rateLimit, 'rate-limit');
      return;
    }
    let m: Message;
    try {
      if (!isBinary) throw new DecodeError('malformed', 'text frame');
      m = decodeMessage(toBytes(data));
    } catch (e) {
      const why = e instanceof DecodeError ? e.reason : 'malformed';
      if (!peer.ready) return this.ctx.disconnect(peer, why === 'unknown-version' ? 'bad-version' : 'malformed');
      return this.scoring.misbehave(peer, this.ctx.penalties.malformed, `malformed:${why}`);
    }
    if (!peer.ready) return this.onHandshake(peer, m);
    this.hooks.deliver(peer, m, now);
  }

  /** The transcript of this connection, once the peer's hello arrived. */
  private transcript(peer: Peer): HandshakeTranscript {
    const ours = { challenge: peer.challenge, publicKey: this.ctx.publicKey };
    const theirs = { challenge: peer.peerChallenge!, publicKey: peer.publicKey! };
    return peer.direction === 'outbound'
      ? { version: PROTOCOL_VERSION, genesis: this.ctx.genesis, dialer: ours, listener: theirs }
      : { version: PROTOCOL_VERSION, genesis: this.ctx.genesis, dialer: theirs, listener: ours };
  }

  private sendProof(peer: Peer): void {
    const role = peer.direction === 'outbound' ? 'dialer' : 'listener';
    this.ctx.write(peer, encodeMessage({ kind: 'helloAck', signature: signHandshake(this.transcript(peer), role, this.ctx.secretKey) }));
  }

  private onHandshake(peer: Peer, m: Message): void {
    const ctx = this.ctx;
    if (m.kind === 'helloAck') peer.proofArrived = true;
    if (m.kind === 'hello' && !peer.gotHello) {
      const bad = checkHello(m, { genesis: ctx.genesis, publicKey: ctx.publicKey });
      if (bad) return ctx.disconnect(peer, bad);
      peer.publicKey = m.publicKey;
      peer.peerChallenge = m.challenge;
      peer.id = toHex(nodeIdFromPublicKey(m.publicKey));
      if (this.scoring.idBanned(peer.id)) return ctx.disconnect(peer, 'banned');
      const existing = ctx.byId.get(peer.id);
      if (existing && !keepNewConnection(ctx.nodeId, peer.id, existing.direction, peer.direction)) {
        // The same id again the same way: the old socket may be dead without a word (the peer moved
        // address); refused either way, but the old one must now answer a ping or go.
        if (existing.direction === peer.direction) this.hooks.probe(existing);
        return ctx.disconnect(peer, 'duplicate');
      }
      if (peer.direction === 'inbound') {
        peer.listenPort = m.listenPort;
        const socket = this.inboundSocket.get(peer);
        if (socket) this.halfOpen.advance(socket);
      }
      peer.tip = m.tip;
      peer.gotHello = true;
      // The dialler proves first; the listener answers only after verifying that proof.
      if (peer.direction === 'outbound') this.sendProof(peer);
      return;
    }
    if (m.kind === 'helloAck' && peer.gotHello && !peer.proved) {
      const theirRole = peer.direction === 'outbound' ? 'listener' : 'dialer';
      // The global inbound budget is spent here, on the proof that costs us a verification and a
      // signature, and not at the upgrade: sockets that never prove (silent ones) spend nothing of it.
      if (peer.direction === 'inbound' && !this.handshakes.take(peer.host)) return ctx.disconnect(peer, 'busy');
      // A failed proof is a refusal, not misbehaviour: the claimed id was not proved, so no one is charged.
      if (!verifyHandshake(this.transcript(peer), theirRole, m.signature)) return ctx.disconnect(peer, 'bad-proof');
      peer.proved = true;
      if (peer.direction === 'inbound') this.sendProof(peer);
      return this.maybeReady(peer);
    }
    // Anything else before the handshake completes is a protocol violation.
    ctx.disconnect(peer, 'malformed');
  }

  private maybeReady(peer: Peer): void {
    const ctx = this.ctx;
    if (!peer.gotHello || !peer.proved || peer.ready || peer.dropped) return;
    const existing = ctx.byId.get(peer.id);
    if (existing && existing !== peer) {
      // Both handshakes finished at once: both ends keep the same connection (handshake.ts).
      if (!keepNewConnection(ctx.nodeId, peer.id, existing.direction, peer.direction)) return ctx.disconnect(peer, 'duplicate');
      ctx.disconnect(existing, 'duplicate');
    }
    if (peer.direction === 'inbound') {
      const slot = this.inboundSlot(peer.host, peer);
      if ('refuse' in slot) return ctx.disconnect(peer, slot.refuse);
      if (slot.evict) {
        ctx.log.info('inbound peer evicted', { peer: slot.evict.id.slice(0, 16), host: slot.evict.host, for: peer.id.slice(0, 16) });
        ctx.disconnect(slot.evict, 'evicted');
      }
      const socket = this.inboundSocket.get(peer);
      if (socket) this.halfOpen.release(socket);
    }
    clearTimeout(peer.hsTimer);
    peer.ready = true;
    peer.lastPingAt = monotonicNow();
    peer.score = this.scoring.recall(peer.id, peer.host);
    ctx.byId.set(peer.id, peer);
    ctx.log.info('peer connected', { peer: peer.id.slice(0, 16), host: peer.host, port: peer.listenPort, direction: peer.direction, height: peer.tip?.height });
    peer.settle?.(undefined);
    peer.settle = undefined;
    this.hooks.ready(peer);
  }
}
