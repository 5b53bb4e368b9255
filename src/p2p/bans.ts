// Bans: an in-memory table of `key -> until` (ms since epoch), loaded from and written through an
// injected BanStore (the node backs it with LevelDB). Keys are `ip:<host>` for an address and
// `id:<hex node id>` for an identity. Loopback hosts are banned by identity only by default, as
// Bitcoin Core does not punish local peers: a devnet runs every node on 127.0.0.1, and one bad
// node must not cut off its neighbours.
import type { Logger } from '../log/index.js';

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

export function isLoopback(host: string): boolean {
  return host === '::1' || host === 'localhost' || /^127\./.test(host) || /^::ffff:127\./.test(host);
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`) to plain IPv4, so one host has one ban key. */
export function normaliseHost(host: string | undefined): string {
  if (!host) return 'unknown';
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice(7) : host;
}

export class BanList {
  private readonly bans = new Map<string, number>();
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
      if (typeof b.key === 'string' && Number.isFinite(b.until) && b.until > now) this.bans.set(b.key, Math.max(b.until, this.bans.get(b.key) ?? 0));
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
    this.bans.delete(key);
    this.bans.set(key, until);
    if (this.bans.size > this.maxEntries) this.evictOne();
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

  private evictOne(): void {
    // Drop the ban that ends first: it is the least valuable to keep.
    let victim: string | undefined;
    let soonest = Infinity;
    for (const [k, u] of this.bans) if (u < soonest) [victim, soonest] = [k, u];
    if (victim !== undefined) this.bans.delete(victim);
  }
}
