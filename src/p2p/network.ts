// The WebSocket network: one listener, the signed handshake, typed message events, scoring and
// bans, keep-alive, slow-reader and rate protection, and the peer manager that dials candidates
// (fed by discovery) up to the outbound target with backoff. It never interprets blocks or txs.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import type { IncomingMessage } from 'node:http';
import { KadchainError, DecodeError } from '../core/index.js';
import { bytesEqual, nodeIdFromPublicKey, publicKeyFromSecret, signMessage, toHex, verifySignature } from '../crypto/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { decodeMessage, PROTOCOL_VERSION, type Message, type TipInfo } from './messages.js';
import { Peer, type PeerInfo } from './peer.js';

export type P2PReason =
  | 'wrong-genesis'
  | 'bad-proof'
  | 'self-connection'
  | 'duplicate'
  | 'bad-version'
  | 'handshake-timeout'
  | 'banned'
  | 'too-many-peers'
  | 'malformed'
  | 'rate-limit'
  | 'slow-reader'
  | 'idle-timeout'
  | 'shutdown';

export class P2PError extends KadchainError<P2PReason> {}

export interface P2PLimits {
  maxPayload: number;
  handshakeTimeoutMs: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
  maxOutbound: number;
  maxInbound: number;
  maxInboundPerIp: number;
  messagesPerSecond: number;
  messageBurst: number;
  maxBufferedBytes: number;
  banMs: number;
  dialIntervalMs: number;
}

export const DEFAULT_P2P_LIMITS: P2PLimits = {
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
  banMs: 24 * 60 * 60 * 1000,
  dialIntervalMs: 1_000,
};

/** Persisted bans (the node backs this with the `bans` sublevel). */
export interface BanStore {
  load(): Promise<{ key: string; until: number }[]>;
  save(key: string, until: number): Promise<void>;
}

export interface Candidate {
  id?: string;
  host: string;
  port: number;
}

export interface P2PEvents {
  'peer:connected': [Peer];
  'peer:disconnected': [Peer, string];
  'peer:banned': [{ key: string; until: number; reason: string }];
  message: [Peer, Message];
}

export interface P2POptions {
  secretKey: Uint8Array;
  genesis: Uint8Array;
  host: string;
  port: number;
  getTip: () => TipInfo;
  logger?: Logger;
  banStore?: BanStore;
  limits?: Partial<P2PLimits>;
}

const isLoopbackOrPrivate = (ip: string): boolean =>
  /^127\./.test(ip) || ip === '::1' || /^10\./.test(ip) || /^192\.168\./.test(ip) || /^172\.(1[6-9]|2\d|3[01])\./.test(ip) || /^::ffff:127\./.test(ip);

const HS_DOMAIN = new TextEncoder().encode('kadchain-handshake-v1');
const CLOSE_CODE = 4000;

function normaliseIp(ip: string | undefined): string {
  if (!ip) return 'unknown';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export class P2PNetwork extends EventEmitter<P2PEvents> {
  readonly publicKey: Uint8Array;
  readonly nodeId: string;
  readonly limits: P2PLimits;
  private readonly log: Logger;
  private server: WebSocketServer | undefined;
  private readonly peersById = new Map<string, Peer>();
  private readonly all = new Set<Peer>();
  private readonly bans = new Map<string, number>();
  private readonly candidates = new Map<string, Candidate & { fails: number; nextTry: number }>();
  private readonly dialing = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private boundPort = 0;
  private started = false;

  constructor(private readonly opts: P2POptions) {
    super();
    this.publicKey = publicKeyFromSecret(opts.secretKey);
    this.nodeId = toHex(nodeIdFromPublicKey(this.publicKey));
    this.limits = { ...DEFAULT_P2P_LIMITS, ...opts.limits };
    this.log = (opts.logger ?? silentLogger).child({ module: 'p2p' });
  }

  get port(): number {
    return this.boundPort;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const b of (await this.opts.banStore?.load()) ?? []) if (b.until > Date.now()) this.bans.set(b.key, b.until);
    const server = new WebSocketServer({ host: this.opts.host, port: this.opts.port, maxPayload: this.limits.maxPayload, perMessageDeflate: false, clientTracking: false });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    server.on('error', (e) => this.log.warn('listener error', { err: String(e) }));
    this.boundPort = (server.address() as { port: number }).port;
    server.on('connection', (ws, req) => this.onInbound(ws, req));
    this.timers.push(setInterval(() => this.keepAlive(), Math.max(50, Math.min(this.limits.pingIntervalMs, this.limits.idleTimeoutMs / 2))));
    this.timers.push(setInterval(() => this.dialMore(), this.limits.dialIntervalMs));
    this.log.info('p2p listening', { host: this.opts.host, port: this.boundPort, id: this.nodeId });
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const p of [...this.all]) this.disconnect(p, 'shutdown');
    for (const p of [...this.all]) p.ws.terminate();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }

  // ---- peers ----

  peers(): Peer[] {
    return [...this.peersById.values()];
  }

  peerInfos(): PeerInfo[] {
    return this.peers().map((p) => p.info());
  }

  get outboundCount(): number {
    return this.peers().filter((p) => p.direction === 'outbound').length;
  }

  /** Candidate peers from discovery; dialled in the background up to maxOutbound. */
  addCandidate(c: Candidate): void {
    if (c.id === this.nodeId) return;
    const key = `${c.host}:${c.port}`;
    if (!this.candidates.has(key)) this.candidates.set(key, { ...c, fails: 0, nextTry: 0 });
    if (this.candidates.size > 1000) this.candidates.delete(this.candidates.keys().next().value!);
    if (this.started && this.outboundCount < this.limits.maxOutbound) queueMicrotask(() => this.dialMore());
  }

  isBanned(key: string): boolean {
    const until = this.bans.get(key);
    if (until === undefined) return false;
    if (until <= Date.now()) {
      this.bans.delete(key);
      return false;
    }
    return true;
  }

  /**
   * Ban keys: the IP for public addresses; for loopback and private addresses (many nodes share one
   * IP in tests and on LANs) the node id, so one bad node does not ban its neighbours.
   */
  banKeyOf(p: { host: string; id: string }): string {
    return isLoopbackOrPrivate(p.host) ? `id:${p.id}` : `ip:${p.host}`;
  }

  bannedList(): { key: string; until: number }[] {
    return [...this.bans].filter(([, u]) => u > Date.now()).map(([key, until]) => ({ key, until }));
  }

  /** Adds misbehaviour points; at 100 the peer is disconnected and banned for banMs. */
  misbehave(peer: Peer, points: number, reason: string): void {
    peer.score += points;
    this.log.debug('peer misbehaved', { peer: peer.id.slice(0, 16), host: peer.host, points, reason, score: peer.score });
    if (peer.score >= 100) this.ban(peer, reason);
  }

  ban(peer: Peer, reason: string): void {
    const until = Date.now() + this.limits.banMs;
    const keys = peer.id ? [this.banKeyOf(peer)] : [`ip:${peer.host}`];
    for (const key of keys) {
      this.bans.set(key, until);
      void this.opts.banStore?.save(key, until).catch((e) => this.log.warn('ban not persisted', { err: String(e) }));
      this.emit('peer:banned', { key, until, reason });
    }
    this.log.info('peer banned', { peer: peer.id.slice(0, 16), host: peer.host, reason });
    this.disconnect(peer, 'banned');
  }

  disconnect(peer: Peer, reason: string): void {
    try {
      if (peer.ws.readyState === WebSocket.OPEN || peer.ws.readyState === WebSocket.CONNECTING) peer.ws.close(CLOSE_CODE, reason.slice(0, 120));
    } catch {
      peer.ws.terminate();
    }
    // Give the close frame a moment, then make sure the socket is gone.
    setTimeout(() => peer.ws.terminate(), 1000).unref();
    this.drop(peer, reason);
  }

  private drop(peer: Peer, reason: string): void {
    if (!this.all.delete(peer)) return;
    if (peer.ready && this.peersById.get(peer.id) === peer) {
      this.peersById.delete(peer.id);
      this.log.info('peer disconnected', { peer: peer.id.slice(0, 16), host: peer.host, reason });
      this.emit('peer:disconnected', peer, reason);
    }
  }

  /** Sends to one peer; drops it if its send buffer shows it cannot keep up. */
  send(peer: Peer, m: Message): void {
    if (!peer.ready && m.kind !== 'hello' && m.kind !== 'helloAck') return;
    if (peer.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.disconnect(peer, 'slow-reader');
      return;
    }
    peer.send(m);
  }

  /** Announces ids with `inv` to every ready peer that is not known to have them. */
  announce(type: 'block' | 'tx', ids: Uint8Array[], except?: Peer): number {
    let sent = 0;
    for (const p of this.peers()) {
      if (p === except) continue;
      const items = ids.filter((id) => !p.knows(id)).map((id) => ({ type, id }));
      if (!items.length) continue;
      for (const it of items) p.markKnown(it.id);
      this.send(p, { kind: 'inv', items });
      sent++;
    }
    return sent;
  }

  // ---- connections ----

  /** Dials host:port (idempotent while a dial to it is in progress). */
  connect(host: string, port: number): Promise<Peer | undefined> {
    const key = `${host}:${port}`;
    if (this.dialing.has(key) || !this.started) return Promise.resolve(undefined);
    this.dialing.add(key);
    return new Promise((resolve) => {
      const ws = new WebSocket(`ws://${isIP(host) === 6 ? `[${host}]` : host}:${port}`, { maxPayload: this.limits.maxPayload, perMessageDeflate: false, handshakeTimeout: this.limits.handshakeTimeoutMs });
      const peer = this.attach(ws, normaliseIp(host), 'outbound');
      peer.listenPort = port;
      const finish = (p: Peer | undefined): void => {
        this.dialing.delete(key);
        const c = this.candidates.get(key);
        if (c) {
          c.fails = p ? 0 : c.fails + 1;
          c.nextTry = Date.now() + (p ? 30_000 : Math.min(300_000, 1000 * 2 ** c.fails)); // backoff
        }
        resolve(p);
      };
      const onReady = (p: Peer): void => {
        if (p === peer) {
          this.off('peer:connected', onReady);
          finish(p);
        }
      };
      this.on('peer:connected', onReady);
      ws.once('close', () => {
        this.off('peer:connected', onReady);
        if (!peer.ready) finish(undefined);
      });
      ws.once('error', () => {});
    });
  }

  private onInbound(ws: WebSocket, req: IncomingMessage): void {
    const host = normaliseIp(req.socket.remoteAddress);
    if (!isLoopbackOrPrivate(host) && this.isBanned(`ip:${host}`)) {
      ws.close(CLOSE_CODE, 'banned');
      return;
    }
    const inbound = [...this.all].filter((p) => p.direction === 'inbound');
    if (inbound.length >= this.limits.maxInbound) {
      ws.close(CLOSE_CODE, 'too-many-peers');
      return;
    }
    if (!isLoopbackOrPrivate(host) && inbound.filter((p) => p.host === host).length >= this.limits.maxInboundPerIp) {
      ws.close(CLOSE_CODE, 'too-many-peers');
      return;
    }
    this.attach(ws, host, 'inbound');
  }

  private attach(ws: WebSocket, host: string, direction: 'inbound' | 'outbound'): Peer {
    const peer = new Peer(ws, host, direction, randomBytes(32), { perSecond: this.limits.messagesPerSecond, burst: this.limits.messageBurst });
    this.all.add(peer);
    let gotHello = false;
    let proved = false;
    const hsTimer = setTimeout(() => {
      if (!peer.ready) this.disconnect(peer, 'handshake-timeout');
    }, this.limits.handshakeTimeoutMs);
    const sendHello = (): void =>
      peer.send({ kind: 'hello', version: PROTOCOL_VERSION, genesis: this.opts.genesis, publicKey: this.publicKey, listenPort: this.boundPort, challenge: peer.challenge, tip: this.opts.getTip() });
    if (ws.readyState === WebSocket.OPEN) sendHello();
    else ws.once('open', sendHello);

    const becomeReady = (): void => {
      if (!gotHello || !proved || peer.ready) return;
      const existing = this.peersById.get(peer.id);
      if (existing && existing !== peer) return this.disconnect(peer, 'duplicate');
      clearTimeout(hsTimer);
      peer.ready = true;
      this.peersById.set(peer.id, peer);
      this.log.info('peer connected', { peer: peer.id.slice(0, 16), host: peer.host, port: peer.listenPort, direction, height: peer.tip?.height });
      this.emit('peer:connected', peer);
    };

    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!this.all.has(peer)) return;
      peer.lastSeen = Date.now();
      if (!peer.takeToken()) {
        this.misbehave(peer, 20, 'rate-limit');
        return;
      }
      let m: Message;
      try {
        if (!isBinary) throw new DecodeError('malformed', 'text frame');
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
        m = decodeMessage(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
      } catch {
        if (!peer.ready) return this.disconnect(peer, 'malformed');
        this.misbehave(peer, 20, 'malformed');
        return;
      }
      if (!peer.ready) {
        if (m.kind === 'hello' && !gotHello) {
          if (m.version !== PROTOCOL_VERSION) return this.disconnect(peer, 'bad-version');
          if (!bytesEqual(m.genesis, this.opts.genesis)) return this.disconnect(peer, 'wrong-genesis');
          if (bytesEqual(m.publicKey, this.publicKey)) return this.disconnect(peer, 'self-connection');
          peer.publicKey = m.publicKey;
          peer.id = toHex(nodeIdFromPublicKey(m.publicKey));
          if (this.isBanned(this.banKeyOf(peer))) return this.disconnect(peer, 'banned');
          if (this.peersById.has(peer.id)) return this.disconnect(peer, 'duplicate');
          if (direction === 'inbound') peer.listenPort = m.listenPort;
          peer.tip = m.tip;
          gotHello = true;
          // Prove our id: sign the peer's challenge, bound to this chain and our key.
          peer.send({ kind: 'helloAck', signature: signMessage(this.proofMessage(m.challenge, this.publicKey), this.opts.secretKey) });
          becomeReady();
          return;
        }
        if (m.kind === 'helloAck' && gotHello && !proved) {
          if (!verifySignature(this.proofMessage(peer.challenge, peer.publicKey!), m.signature, peer.publicKey!)) return this.disconnect(peer, 'bad-proof');
          proved = true;
          becomeReady();
          return;
        }
        return this.disconnect(peer, 'malformed');
      }
      if (m.kind === 'hello' || m.kind === 'helloAck') return this.misbehave(peer, 20, 'malformed');
      if (m.kind === 'ping') return this.send(peer, { kind: 'pong', nonce: m.nonce });
      if (m.kind === 'pong') return;
      if (m.kind === 'tip') peer.tip = m.tip;
      this.emit('message', peer, m);
    });
    ws.on('close', () => {
      clearTimeout(hsTimer);
      this.drop(peer, 'closed');
    });
    ws.on('error', (e) => {
      this.log.debug('socket error', { host, err: String(e) });
      if (/max payload/i.test(String(e)) && peer.ready) this.misbehave(peer, 100, 'oversize');
    });
    return peer;
  }

  private proofMessage(challenge: Uint8Array, signerKey: Uint8Array): Uint8Array {
    const m = new Uint8Array(HS_DOMAIN.length + 32 + 32 + 32);
    m.set(HS_DOMAIN, 0);
    m.set(challenge, HS_DOMAIN.length);
    m.set(this.opts.genesis, HS_DOMAIN.length + 32);
    m.set(signerKey, HS_DOMAIN.length + 64);
    return m;
  }

  private keepAlive(): void {
    const now = Date.now();
    for (const p of this.peers()) {
      if (now - p.lastSeen > this.limits.idleTimeoutMs) this.disconnect(p, 'idle-timeout');
      else if (now - p.lastSeen > this.limits.pingIntervalMs / 2) this.send(p, { kind: 'ping', nonce: BigInt(now) });
    }
  }

  /** Peer manager tick: dial candidates until maxOutbound, preferring ids unlike current peers. */
  private dialMore(): void {
    if (!this.started) return;
    let room = this.limits.maxOutbound - this.outboundCount - this.dialing.size;
    if (room <= 0) return;
    const now = Date.now();
    const connectedKeys = new Set(this.peers().map((p) => `${p.host}:${p.listenPort}`));
    const connectedIds = new Set(this.peers().map((p) => p.id));
    const prefixes = new Set(this.peers().map((p) => p.id.slice(0, 1)));
    const isSelf = (c: Candidate): boolean => c.id === this.nodeId || (c.port === this.boundPort && (c.host === this.opts.host || isLoopbackOrPrivate(c.host)));
    const ready = [...this.candidates.entries()].filter(
      ([key, c]) =>
        c.nextTry <= now && !connectedKeys.has(key) && !this.dialing.has(key) && !isSelf(c) &&
        !(c.id && (connectedIds.has(c.id) || this.isBanned(this.banKeyOf({ host: c.host, id: c.id })))),
    );
    // Diversity: candidates whose id starts differently from every current peer go first.
    ready.sort(([, a], [, b]) => Number(!!(a.id && prefixes.has(a.id.slice(0, 1)))) - Number(!!(b.id && prefixes.has(b.id.slice(0, 1)))));
    for (const [, c] of ready) {
      if (room-- <= 0) break;
      void this.connect(c.host, c.port);
    }
  }
}
