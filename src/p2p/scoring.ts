// Misbehaviour scores and bans. Points are charged to what was observed: the connection (the
// peer's live score), its authenticated identity and, for public addresses, its address, so that a
// fresh key from the same address starts with the address's record. Every score decays toward 0
// with a half-life, so an honest peer's rare fault does not add up forever. At BAN_THRESHOLD the
// peer is disconnected and its id, its address and its address's /24 or /64 are banned for `banMs`
// (loopback and private ranges by id only, unless `banLoopbackHosts`), persisted through the
// BanStore. What an offence costs is decided by the caller (p2p's wire faults, or the node's
// penalty table); this file only adds up.
import { BAN_THRESHOLD, type NetContext } from './config.js';
import { BanList, hostBanKey, idBanKey, isPublicAddress, netBanKey, netGroup, normaliseHost } from './bans.js';
import { monotonicNow } from '../core/index.js';
import { decayedScore, type Peer } from './peer.js';

/** Remembered score records (ids and addresses, live or gone); the least recently charged is forgotten first. */
const SCORE_MEMORY = 10_000;

/** The ban keys a misbehaving peer earns: its id, and unless exempt its address and network group. */
export function banKeysFor(id: string, host: string, banLoopbackHosts: boolean): string[] {
  const keys: string[] = [];
  if (id) keys.push(idBanKey(id));
  if (addressBannable(host, banLoopbackHosts)) {
    keys.push(hostBanKey(host));
    const group = netGroup(host);
    if (group) keys.push(netBanKey(group));
  }
  return keys;
}

/** True when `host` is banned by address or (public addresses) by its /24 or /64. */
export function isHostBanned(bans: BanList, host: string, banLoopbackHosts: boolean, now = Date.now()): boolean {
  if (!addressBannable(host, banLoopbackHosts)) return false;
  if (bans.isBanned(hostBanKey(host), now)) return true;
  const group = netGroup(host);
  return group !== undefined && bans.isBanned(netBanKey(group), now);
}

/** Public addresses are banned by address; loopback and private ranges only when configured. */
export function addressBannable(host: string, banLoopbackHosts: boolean): boolean {
  return isPublicAddress(host) || (banLoopbackHosts && host !== 'unknown');
}

export class Scoring {
  /** Decaying score records by key (`id:<id>`, `ip:<host>`): reconnecting does not wipe a bad record. Times are monotonic; ban ends are wall clock (persisted). */
  private readonly records = new Map<string, { points: number; at: number }>();

  constructor(private readonly ctx: NetContext, readonly bans: BanList) {}

  /** Adds points to the peer, its id and its address; at BAN_THRESHOLD it is banned, even if it already disconnected. */
  misbehave(peer: Peer, points: number, reason: string, now = monotonicNow()): void {
    if (!Number.isFinite(points) || points <= 0) return;
    let worst = peer.addScore(points, now);
    for (const key of this.recordKeys(peer)) worst = Math.max(worst, this.charge(key, points, now));
    this.ctx.log.debug('peer misbehaved', { peer: peer.id.slice(0, 16), host: peer.host, points, reason, score: peer.score });
    // Compared as shown (rounded): 60 then 40 points a moment apart is 100, not 99.999 after decay.
    if (Math.round(worst) >= BAN_THRESHOLD) this.ban(peer, reason);
  }

  /** Bans the peer's node id (and its address and prefix unless exempt) and disconnects it. */
  ban(peer: Peer, reason: string, ms = this.ctx.limits.banMs): void {
    if (peer.banned) return;
    peer.banned = true;
    const until = Date.now() + ms;
    const keys = banKeysFor(peer.id, peer.host, this.ctx.limits.banLoopbackHosts);
    for (const key of keys) {
      this.bans.add(key, until);
      this.ctx.emit('peer:banned', { key, until, reason, host: peer.host, id: peer.id, score: peer.score });
    }
    for (const key of this.recordKeys(peer)) this.records.delete(key);
    this.ctx.log.info('peer banned', { peer: peer.id.slice(0, 16), host: peer.host, reason, score: peer.score, keys, until: new Date(until).toISOString() });
    this.ctx.disconnect(peer, 'banned');
    for (const p of [...this.ctx.conns]) if (this.hostBanned(p.host)) this.ctx.disconnect(p, 'banned');
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
    return addressBannable(host, this.ctx.limits.banLoopbackHosts);
  }

  /** True when the host, or (public addresses) its /24 or /64, is banned. */
  hostBanned(host: string): boolean {
    return isHostBanned(this.bans, host, this.ctx.limits.banLoopbackHosts);
  }

  idBanned(id: string): boolean {
    return this.bans.isBanned(idBanKey(id));
  }

  /** The score a newly authenticated peer starts with: the worse of its id's and its address's records, decayed. */
  recall(id: string, host: string, now = monotonicNow()): number {
    let score = this.current(idBanKey(id), now);
    if (this.hostBannable(host)) score = Math.max(score, this.current(hostBanKey(host), now));
    return score;
  }

  /** Records of the peer: its id once authenticated, its address unless exempt. */
  private recordKeys(peer: Peer): string[] {
    const keys: string[] = [];
    if (peer.id) keys.push(idBanKey(peer.id));
    if (this.hostBannable(peer.host)) keys.push(hostBanKey(peer.host));
    return keys;
  }

  private current(key: string, now: number): number {
    const r = this.records.get(key);
    return r ? decayedScore(r.points, r.at, now, this.ctx.limits.scoreHalfLifeMs) : 0;
  }

  private charge(key: string, points: number, now: number): number {
    const total = this.current(key, now) + points;
    this.records.delete(key);
    this.records.set(key, { points: total, at: now });
    if (this.records.size > SCORE_MEMORY) this.records.delete(this.records.keys().next().value!);
    return total;
  }
}
