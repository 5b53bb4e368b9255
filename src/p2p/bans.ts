// Bans: an in-memory table of `key -> until` (ms since epoch), loaded from and written through an
// injected BanStore (the node backs it with LevelDB). Keys are `id:<hex node id>` for an identity,
// `ip:<host>` for an address and `net:<prefix>` for a public address's /24 (IPv4) or /64 (IPv6), so
// that walking the addresses of one subscriber's range does not escape a ban. Loopback and
// private-range hosts are banned by identity only by default, as Bitcoin Core does not punish
// local peers: a devnet runs every node on 127.0.0.1, and one bad node must not cut off its
// neighbours.
import { BlockList, isIP } from 'node:net';
import type { Logger } from '../log/index.js';
import { BinaryHeap } from '../core/index.js';

/** Persisted bans. `key` is `ip:<host>` or `id:<hex node id>`; `until` is ms since the epoch. */
export interface BanStore {
  load(): Promise<{ key: string; until: number }[]>;
  save(key: string, until: number): Promise<void>;
}

export interface BanEntry {
  key: string;
  until: number;
}

export const hostBanKey = (host: string): string => `ip:${host}`;
export const idBanKey = (id: string): string => `id:${id}`;
export const netBanKey = (group: string): string => `net:${group}`;

export function isLoopback(host: string): boolean {
  return host === '::1' || host === 'localhost' || /^127\./.test(host) || /^::ffff:127\./.test(host);
}

// Ranges that are not one subscriber's public address: loopback, private, link-local, CGNAT,
// unspecified, unique-local and documentation ranges (RFC 1918, 6598, 3927, 4193, 4291, 5737, 3849).
const NON_PUBLIC = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 3]] as const) {
  NON_PUBLIC.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [['::', 127], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32]] as const) NON_PUBLIC.addSubnet(net, bits, 'ipv6');

/** True for a routable public IPv4 or IPv6 address (what bans and caps by address and prefix apply to). */
export function isPublicAddress(host: string): boolean {
  const h = normaliseHost(host);
  const v = isIP(h);
  if (v === 0) return false;
  return !NON_PUBLIC.check(h, v === 4 ? 'ipv4' : 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address (`::` expanded; an embedded IPv4 tail converted). */
function ipv6Groups(host: string): number[] {
  let h = host.split('%')[0]!.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    h = h.slice(0, v4.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = h.includes('::') ? (h.split('::') as [string, string]) : [h, undefined];
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((g) => parseInt(g, 16));
}

/**
 * The network group a public address belongs to: its /24 (IPv4) or /64 (IPv6), e.g.
 * `203.1.2.0/24` or `2a01:4f8:10:20::/64`. Undefined for loopback and private ranges, which are
 * exempt from bans and caps by address.
 */
export function netGroup(host: string): string | undefined {
  const h = normaliseHost(host);
  if (!isPublicAddress(h)) return undefined;
  if (isIP(h) === 4) return `${h.split('.').slice(0, 3).join('.')}.0/24`;
  return ipv6Prefix64(h);
}

/** The /64 an IPv6 address is in, e.g. `2a01:4f8:10:20::/64` (whatever its range; the caller checks it is IPv6). */
export function ipv6Prefix64(host: string): string {
  return `${ipv6Groups(host).slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) to plain IPv4, so one host has one ban key. */
export function normaliseHost(host: string | undefined): string {
  if (!host) return 'unknown';
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

export class BanList {
  private readonly bans = new Map<string, number>();
  /**
   * Bans by end time, soonest first, for eviction at the cap in O(log n) (a scan of 100,000 per ban
   * before). Lazy: an entry whose key was lifted or re-banned since is skipped when it surfaces.
   */
  private readonly ending = new BinaryHeap<{ key: string; until: number }>((x, y) => x.until < y.until);
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: BanStore | undefined,
    private readonly log: Logger,
    /** Cap on remembered bans: a flood of throwaway identities cannot grow this without bound. */
    private readonly maxEntries = 100_000,
  ) {}

  async load(now = Date.now()): Promise<void> {
    if (!this.store) return;
    for (const b of await this.store.load()) {
      if (typeof b.key === 'string' && Number.isFinite(b.until) && b.until > now) this.set(b.key, Math.max(b.until, this.bans.get(b.key) ?? 0));
    }
  }

  isBanned(key: string, now = Date.now()): boolean {
    const until = this.bans.get(key);
    if (until === undefined) return false;
    if (until > now) return true;
    this.bans.delete(key);
    return false;
  }

  /** Records a ban and writes it through; persistence failures are logged, never thrown. */
  add(key: string, until: number): void {
    this.set(key, until);
    const store = this.store;
    if (store) {
      this.pending = this.pending.then(() => store.save(key, until)).catch((e: unknown) => this.log.warn('ban not persisted', { key, err: String(e) }));
    }
  }

  list(now = Date.now()): BanEntry[] {
    return [...this.bans].filter(([, u]) => u > now).map(([key, until]) => ({ key, until }));
  }

  get size(): number {
    return this.bans.size;
  }

  sweep(now = Date.now()): void {
    for (const [k, u] of this.bans) if (u <= now) this.bans.delete(k);
  }

  /** Resolves when every ban so far has been handed to the store. */
  flush(): Promise<void> {
    return this.pending;
  }

  private set(key: string, until: number): void {
    this.bans.delete(key);
    this.bans.set(key, until);
    this.ending.push({ key, until });
    // Past the cap, drop the ban that ends first: it is the least valuable to keep.
    while (this.bans.size > this.maxEntries) {
      const e = this.ending.pop();
      if (!e) break;
      if (this.bans.get(e.key) === e.until) this.bans.delete(e.key);
    }
    // Stale heap entries (lifted or re-banned keys) stay within a constant factor of the bans.
    if (this.ending.size > 2 * this.bans.size + 64) {
      this.ending.clear();
      for (const [k, u] of this.bans) this.ending.push({ key: k, until: u });
    }
  }
}
