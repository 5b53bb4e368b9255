// Misbehaviour scores and bans: points accumulate per peer, survive a reconnect (decaying with a
// half-life), and at BAN_THRESHOLD the peer is disconnected and its id (and host, unless loopback
// is exempt) banned for `banMs`, persisted through the BanStore. What an offence costs is decided
// by the caller (p2p's own wire faults, or the node's penalty table); this file only adds up.
import { BAN_THRESHOLD, type NetContext } from './config.js';
import { BanList, hostBanKey, idBanKey, isLoopback, normaliseHost } from './bans.js';
import type { Peer } from './peer.js';

const SCORE_MEMORY = 10_000;
const SCORE_HALF_LIFE_MS = 60 * 60 * 1000;

export class Scoring {
  /** Scores of recently disconnected ids: reconnecting does not wipe a bad record. */
  private readonly memory = new Map<string, { score: number; at: number }>();

  constructor(private readonly ctx: NetContext, readonly bans: BanList) {}

  /** Adds points; at BAN_THRESHOLD the peer is banned, even if it already disconnected. */
  misbehave(peer: Peer, points: number, reason: string): void {
    if (!Number.isFinite(points) || points <= 0) return;
    peer.score += points;
    this.ctx.log.debug('peer misbehaved', { peer: peer.id.slice(0, 16), host: peer.host, points, reason, score: peer.score });
    if (peer.score >= BAN_THRESHOLD) this.ban(peer, reason);
    else if (peer.dropped) this.remember(peer);
  }

  /** Bans the peer's node id (and its host unless loopback-exempt) and disconnects it. */
  ban(peer: Peer, reason: string, ms = this.ctx.limits.banMs): void {
    if (peer.banned) return;
    peer.banned = true;
    const until = Date.now() + ms;
    const keys: string[] = [];
    if (peer.id) keys.push(idBanKey(peer.id));
    if (this.hostBannable(peer.host)) keys.push(hostBanKey(peer.host));
    for (const key of keys) {
      this.bans.add(key, until);
      this.ctx.emit('peer:banned', { key, until, reason, host: peer.host, id: peer.id, score: peer.score });
    }
    this.memory.delete(peer.id);
    this.ctx.log.info('peer banned', { peer: peer.id.slice(0, 16), host: peer.host, reason, score: peer.score, until: new Date(until).toISOString() });
    this.ctx.disconnect(peer, 'banned');
    if (this.hostBannable(peer.host)) for (const p of [...this.ctx.conns]) if (p.host === peer.host) this.ctx.disconnect(p, 'banned');
  }

  /** Bans an address outright (e.g. from an operator command) and drops its connections. */
  banHost(host: string, reason: string, ms = this.ctx.limits.banMs): void {
    const h = normaliseHost(host);
    const until = Date.now() + ms;
    this.bans.add(hostBanKey(h), until);
    this.ctx.emit('peer:banned', { key: hostBanKey(h), until, reason, host: h, id: '', score: 0 });
    for (const p of [...this.ctx.conns]) if (p.host === h) this.ctx.disconnect(p, 'banned');
  }

  hostBannable(host: string): boolean {
    return this.ctx.limits.banLoopbackHosts || !isLoopback(host);
  }

  hostBanned(host: string): boolean {
    return this.hostBannable(host) && this.bans.isBanned(hostBanKey(host));
  }

  idBanned(id: string): boolean {
    return this.bans.isBanned(idBanKey(id));
  }

  /** Keeps a disconnected peer's score for its next connection (bounded, oldest forgotten). */
  remember(peer: Peer): void {
    if (!peer.id || peer.score <= 0 || peer.banned) return;
    this.memory.delete(peer.id);
    this.memory.set(peer.id, { score: peer.score, at: Date.now() });
    if (this.memory.size > SCORE_MEMORY) this.memory.delete(this.memory.keys().next().value!);
  }

  /** The decayed score a reconnecting id starts with (and forgets the record). */
  recall(id: string): number {
    const r = this.memory.get(id);
    this.memory.delete(id);
    if (!r) return 0;
    return Math.round(r.score * 0.5 ** ((Date.now() - r.at) / SCORE_HALF_LIFE_MS));
  }
}
