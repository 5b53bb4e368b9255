// The peer manager: keeps about `maxOutbound` outbound connections from a pool of candidates
// (discovery, config), dials with backoff, pulls candidate streams lazily, and replaces dead peers.
import { isIP } from 'node:net';
import { WebSocket } from 'ws';
import { monotonicNow } from '../core/index.js';
import { idBanKey, isLoopback, normaliseHost } from './bans.js';
import { CandidatePool, addressOf, type Candidate } from './candidates.js';
import type { NetContext } from './config.js';
import { P2PError, isP2PReason, type P2PReason } from './errors.js';
import type { Listener } from './listener.js';
import type { Peer } from './peer.js';
import type { Scoring } from './scoring.js';

const SOURCE_PULLS_PER_TICK = 64;

interface Source {
  it: AsyncIterator<Candidate>;
  busy: boolean;
}

export class PeerManager {
  readonly pool: CandidatePool;
  private readonly dials = new Map<string, Promise<Peer>>();
  private readonly sources: Source[] = [];
  private timer: NodeJS.Timeout | undefined;
  private scheduled = false;
  private pullBudget = SOURCE_PULLS_PER_TICK;

  constructor(private readonly ctx: NetContext, private readonly listener: Listener, private readonly scoring: Scoring, private readonly host: string) {
    const l = ctx.limits;
    this.pool = new CandidatePool(l.maxCandidates, { baseMs: l.backoffBaseMs, maxMs: l.backoffMaxMs }, Math.random, l.maxCandidatesPerNetGroup);
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.pullBudget = SOURCE_PULLS_PER_TICK;
      this.dialMore();
    }, Math.max(10, this.ctx.limits.dialIntervalMs));
    this.schedule();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const s of this.sources.splice(0)) void Promise.resolve(s.it.return?.()).catch(() => {});
  }

  /** Dials host:port; resolves undefined when refused or unreachable (see `dial` for the reason). */
  connect(host: string, port: number): Promise<Peer | undefined> {
    return this.dial(host, port).catch((e: unknown) => {
      this.ctx.log.debug('dial failed', { host, port, reason: e instanceof P2PError ? e.reason : String(e) });
      return undefined;
    });
  }

  /** Dials host:port and completes the handshake; rejects with P2PError naming the refusal. */
  dial(host: string, port: number): Promise<Peer> {
    const h = normaliseHost(host);
    const addr = addressOf({ host: h, port });
    if (!this.ctx.isRunning()) return Promise.reject(new P2PError('not-started', 'p2p network is not running'));
    if (this.scoring.hostBanned(h)) return Promise.reject(new P2PError('banned', `${h} is banned`));
    if (this.isSelfAddress(h, port)) return Promise.reject(new P2PError('self-connection', `${addr} is our own listener`));
    const pending = this.dials.get(addr);
    if (pending) return pending;
    for (const p of this.ctx.byId.values()) if (p.direction === 'outbound' && p.address === addr) return Promise.resolve(p);
    const promise = new Promise<Peer>((resolve, reject) => {
      const url = `ws://${isIP(h) === 6 ? `[${h}]` : h}:${port}`;
      const l = this.ctx.limits;
      const ws = new WebSocket(url, { maxPayload: l.maxPayload, perMessageDeflate: false, handshakeTimeout: l.handshakeTimeoutMs });
      const peer = this.listener.attach(ws, h, 'outbound', port);
      let opened = false;
      // The TCP socket is public only at the upgrade; counted once ws reads it (at 'open').
      ws.once('upgrade', (res) => ws.once('open', () => this.listener.capPreHandshake(peer, res.socket)));
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
        this.pool.onFailure(addr, monotonicNow(), r === 'wrong-genesis' || r === 'self-connection' || r === 'bad-version');
      },
    );
    return promise;
  }

  isSelfAddress(host: string, port: number): boolean {
    if (port !== this.ctx.listenPort()) return false;
    const ours = this.host;
    return host === ours || (isLoopback(host) && (isLoopback(ours) || ours === '0.0.0.0' || ours === '::'));
  }

  /** A candidate from discovery (or config); dialled in the background while below maxOutbound. */
  addCandidate(c: Candidate): boolean {
    const host = normaliseHost(c.host);
    if (c.id?.toLowerCase() === this.ctx.nodeId || this.isSelfAddress(host, c.port)) return false;
    const ok = this.pool.add(c.id ? { id: c.id, host, port: c.port } : { host, port: c.port });
    if (ok) this.schedule();
    return ok;
  }

  /** A stream of candidates, pulled lazily while outbound slots are free and the pool is dry. */
  addCandidateSource(source: AsyncIterable<Candidate>): void {
    this.sources.push({ it: source[Symbol.asyncIterator](), busy: false });
    this.schedule();
  }

  /** A ready peer went away: backoff bookkeeping, and a replacement is dialled. */
  peerGone(peer: Peer): void {
    if (peer.direction === 'outbound') this.pool.onDisconnected(peer.address, monotonicNow(), monotonicNow() - peer.connectedSince);
    this.schedule();
  }

  schedule(): void {
    if (!this.ctx.isRunning() || this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.dialMore();
    });
  }

  private dialMore(): void {
    if (!this.ctx.isRunning()) return;
    let outbound = 0;
    const busy = new Set<string>(this.dials.keys());
    for (const p of this.ctx.conns) {
      if (p.direction !== 'outbound') continue;
      outbound++;
      busy.add(p.address);
    }
    const room = this.ctx.limits.maxOutbound - outbound;
    if (room <= 0) return;
    const now = monotonicNow(); // backoffs are durations
    // Cheapest first: on a settled mesh every candidate is a connected id, and this runs every
    // dial tick, so the address parsing of the ban checks is reached only for real dial targets.
    const allowed = (c: Candidate): boolean =>
      !(c.id && (this.ctx.byId.has(c.id) || c.id === this.ctx.nodeId)) && !busy.has(addressOf(c)) && !this.isSelfAddress(c.host, c.port) &&
      !(c.id && this.scoring.bans.isBanned(idBanKey(c.id))) && !this.scoring.hostBanned(c.host);
    const picks = this.pool.pick(room, now, allowed, this.ctx.byId.keys());
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
          else if (this.ctx.isRunning()) this.addCandidate(r.value);
        },
        (e: unknown) => {
          this.ctx.log.warn('candidate source failed', { err: String(e) });
          this.dropSource(s);
        },
      );
    }
  }

  private dropSource(s: Source): void {
    const i = this.sources.indexOf(s);
    if (i >= 0) this.sources.splice(i, 1);
  }
}
