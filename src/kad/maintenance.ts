// Keeping a node's view of the network true: joining (saved table first, then the bootstrap
// addresses, retried with backoff for as long as the table is empty), lookups while the table is
// sparse, revalidation of entries in the background (new ones every ~3 s, settled ones every ~9 s,
// as geth does), a periodic refresh (one self lookup and three random lookups), table saves, and
// the network record: announced at the k closest nodes to the network key and refreshed before it
// expires, and looked up (FIND_VALUE) for peers of our own network.
import { toHex } from '../crypto/index.js';
import { ipClass } from './addr.js';
import type { KadNode, PeerRecord } from './kad-node.js';
import { decodeNetworkRecord, encodeNetworkRecord } from './network-record.js';
import type { NodeRecord } from './packet.js';
import { randomIdInBucket, type Contact } from './routing-table.js';

export interface MaintenanceOptions {
  /** Background timers: revalidation, refresh, sparse-table lookups, saves, network records (default on). */
  maintenance?: boolean;
  /** Join (bootstrap) on start (default on). */
  autoJoin?: boolean;
  /** One self lookup plus three random lookups (geth: 30 min). */
  refreshIntervalMs?: number;
  /** Random lookups while the table is healthy. */
  randomLookupIntervalMs?: number;
  saveIntervalMs?: number;
  revalidateNewMs?: number;
  revalidateSettledMs?: number;
  /** Longest wait between join attempts and sparse-table lookups. */
  backoffMaxMs?: number;
  /** Buckets refreshed (widest first) right after the self lookup of a join. */
  joinRefreshBuckets?: number;
  /**
   * Only buckets not touched for this long are refreshed after a join's self lookup (DESIGN: an
   * hour; a bucket the self lookup or incoming traffic just filled needs no lookup of its own).
   */
  joinRefreshAgeMs?: number;
  /** Join attempts before giving up (default: forever with timers on, 3 without). */
  maxJoinAttempts?: number;
  /** Genesis id: enables network records under SHA-256("kadchain-network" || genesis id). */
  networkId?: Uint8Array;
  networkRecordTtlSec?: number;
  /** Network-record lookups once some were found (before that: backoff from 1 s). */
  networkLookupIntervalMs?: number;
}

export class Maintenance {
  private timers = new Set<unknown>();
  private sleepers = new Set<() => void>();
  private joining: Promise<void> | undefined;
  private on = false;
  private revalidateTick = 0;
  private networkPeersFound = 0;
  private networkLookupsDone = 0;
  private joined = false;
  private saved: PeerRecord[] | undefined;
  /** When our last self lookup ended: the sparse-table loop does not repeat one that fresh. */
  private lastSelfLookup = -Infinity;
  private lookingAgain = false;
  /**
   * The last self lookup came back with fewer than k nodes and none we did not know: it reached
   * the whole network. Random lookups would ask the same nodes again; a network smaller than k
   * refreshes with one self lookup, and the sparse-table loop stops looking (newcomers find us).
   */
  private wholeNetwork = false;

  constructor(private readonly node: KadNode, private readonly opts: MaintenanceOptions) {}

  /** Whether a network-record lookup has found any peer of our network yet. */
  get foundNetworkPeers(): boolean {
    return this.networkPeersFound > 0;
  }
  /**
   * Three network-record lookups (over several seconds: the loop backs off from 1 s) found no
   * peer of our network: fall back to any discovered node. Patience here is what keeps a shared
   * DHT from turning into dials to other networks while records are still being announced.
   */
  get networkRecordsMissing(): boolean {
    return this.networkLookupsDone >= 3 && this.networkPeersFound === 0;
  }

  /** The table went from empty to one entry (someone found us): join now, not at the next retry. */
  onContact(): void {
    if (this.on && !this.joined && !this.joining && this.opts.autoJoin !== false) void this.join();
  }

  start(): void {
    this.on = true;
    if (this.opts.maintenance !== false) {
      // Each loop's first tick at a random phase: nodes started together do not all revalidate,
      // refresh and look up in the same instant (a fleet restarted at once, a devnet, a bench).
      this.loop(this.opts.revalidateNewMs ?? 3000, () => this.revalidate(), true);
      this.loop(this.opts.refreshIntervalMs ?? 30 * 60 * 1000, () => this.refresh(), true);
      this.sparseLoop(this.jitter(1000));
      if (this.node.opts.persistence) this.loop(this.opts.saveIntervalMs ?? 5 * 60 * 1000, () => this.save());
      if (this.node.networkKey) {
        const ttl = this.opts.networkRecordTtlSec ?? 30 * 60;
        this.loop((ttl * 1000) / 2, () => this.announce().then(() => undefined));
        this.networkLoop(1000);
      }
    }
    if (this.opts.autoJoin !== false) void this.join();
  }

  stop(): void {
    this.on = false;
    for (const t of this.timers) this.node.clock.clearTimeout(t);
    this.timers.clear();
    for (const s of this.sleepers) s();
    this.sleepers.clear();
  }

  private after(ms: number, fn: () => void): void {
    const t = this.node.clock.setTimeout(() => {
      this.timers.delete(t);
      if (this.on) fn();
    }, ms);
    this.timers.add(t);
  }

  private loop(ms: number, fn: () => Promise<unknown>, randomPhase = false): void {
    this.after(randomPhase ? this.jitter(ms) : ms, () => {
      fn().catch((e: unknown) => this.node.log.warn('discovery maintenance step failed', { err: String(e) })).finally(() => this.loop(ms, fn));
    });
  }

  /** A delay spread over [ms/2, 3ms/2) (seeded through the node's random source). */
  private jitter(ms: number): number {
    return Math.round(ms * (0.5 + this.node.random()));
  }

  private async selfLookup(answered?: { c: Contact; nodes: NodeRecord[] }[]): Promise<{ found: number }> {
    const n = this.node;
    const before = n.table.size;
    const r = await n.lookup(n.id, { answered });
    this.lastSelfLookup = n.clock.monotonic();
    // Short, nothing new, and as many as the table holds: not a lookup cut short by loss.
    this.wholeNetwork = r.closest.length < n.k && n.table.size <= before && r.closest.length >= n.table.size;
    return { found: r.closest.length };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.sleepers.delete(done);
        resolve();
      };
      this.sleepers.add(done);
      this.after(ms, done);
    });
  }

  private get backoffMax(): number {
    return this.opts.backoffMaxMs ?? 60_000;
  }

  join(): Promise<void> {
    this.joining ??= this.doJoin().finally(() => (this.joining = undefined));
    return this.joining;
  }

  private async doJoin(): Promise<void> {
    const n = this.node;
    const boots = n.opts.bootstrap ?? [];
    const maxAttempts = this.opts.maxJoinAttempts ?? (this.opts.maintenance === false ? 3 : Infinity);
    if (this.saved === undefined) this.saved = (await n.opts.persistence?.load().catch(() => [])) ?? [];
    let delay = 1000;
    // What the bootstrap answered: the self lookup starts from it rather than asking again.
    const answered: { c: Contact; nodes: NodeRecord[] }[] = [];
    for (let attempt = 1; n.running && n.table.size === 0; attempt++) {
      // The saved table first (a restart does not need the bootstrap), then the bootstrap nodes,
      // asked for our own id straight away (kad-node.ts findSelfAt). The first answer starts the
      // self lookup; the other exchanges still add whoever answers.
      if (this.saved.length) await firstAnswer(this.saved.slice(0, 256).map((r) => n.ping(r.host, r.port, r.id)));
      if (n.table.size === 0) await firstAnswer(boots.map((b) => n.findSelfAt(b.host, b.port).then((a) => a && answered.push(a))));
      if (n.table.size > 0 || !n.running) break;
      // Nobody to ask: the first node to reach us triggers the join (onContact).
      if (attempt >= maxAttempts || (!boots.length && !this.saved.length)) return;
      if (boots.length || this.saved.length) n.log.warn('discovery: no known node answered, retrying', { attempt, retryInMs: delay, bootstrap: boots.length, saved: this.saved.length });
      await this.sleep(delay);
      delay = Math.min(delay * 2, this.backoffMax);
    }
    if (!n.running) return;
    this.joined = true;
    const self = await this.selfLookup(answered);
    // Buckets the self lookup left untouched, widest first (the widest, half the id space, carries
    // most of the benefit); the rest fill from traffic, sparse-table lookups and the periodic refresh.
    await this.refreshBuckets(this.opts.joinRefreshAgeMs ?? 60 * 60 * 1000, this.opts.joinRefreshBuckets ?? 1);
    // A bootstrap still joining itself answers from an empty table: the self lookup ends with
    // nothing near us, nobody near us learns of us, and lookups for ids near us miss us. A short
    // self lookup is looked again (1 s, then 2 s, 4 s) until one finds k nodes.
    if (self.found < n.k) this.selfLookupAgain(1000, 3);
    n.log.info('discovery joined', { table: n.table.size, saved: this.saved.length, bootstrap: boots.length });
    if (n.networkKey && n.running) {
      await this.announce();
      await this.findNetworkPeers();
    }
  }

  /** Self lookups after a join whose own came back short: `left` more, doubling the delay, until one finds k. */
  private selfLookupAgain(delay: number, left: number): void {
    this.lookingAgain = left > 0;
    if (left <= 0) return;
    this.after(delay, () => {
      const n = this.node;
      void this.selfLookup().then((r) => this.selfLookupAgain(delay * 2, r.found < n.k ? left - 1 : 0), () => (this.lookingAgain = false));
    });
  }

  /** Sparse table: look ourselves up with backoff (1 s doubling to a minute); healthy: random lookups. */
  private sparseLoop(delay: number): void {
    this.after(delay, () => {
      const n = this.node;
      const size = n.table.size;
      // A join in progress is already looking: wait for it rather than pile a second lookup on top.
      // A self lookup as fresh as this loop's delay would find what the last one found.
      const fresh = this.lookingAgain || n.clock.monotonic() - this.lastSelfLookup < Math.max(2 * delay, 2000);
      const small = this.wholeNetwork && size > 0;
      const work = this.joining ?? (size === 0 ? this.join() : size >= n.k ? this.randomLookup() : fresh || small ? Promise.resolve() : this.selfLookup());
      void work.catch(() => undefined).finally(() => {
        const healthy = n.table.size >= n.k || (this.wholeNetwork && n.table.size > 0);
        const grew = n.table.size > size;
        const next = healthy ? this.jitter(this.opts.randomLookupIntervalMs ?? 5 * 60 * 1000) : grew ? this.jitter(1000) : Math.min(delay * 2, this.backoffMax);
        this.sparseLoop(next);
      });
    });
  }

  /** Checks one due entry: new entries every tick, the least recently verified every third tick. */
  async revalidate(): Promise<void> {
    const n = this.node;
    this.revalidateTick++;
    const newMs = this.opts.revalidateNewMs ?? 3000;
    const settledMs = this.opts.revalidateSettledMs ?? 9000;
    const settledEvery = Math.max(1, Math.round(settledMs / newMs));
    const now = n.clock.monotonic();
    // Not due while verified recently (any answer to us counts): each revalidation PING used to go
    // to the entry verified longest ago among the new, the same bootstrap in every fresh table.
    const e = n.table.nextToRevalidate(true, now, newMs, n.random) ?? (this.revalidateTick % settledEvery === 0 ? n.table.nextToRevalidate(false, now, settledMs) : undefined);
    if (e) await n.liveness.check(e);
  }

  private async refresh(): Promise<void> {
    const n = this.node;
    if (n.table.size === 0) return this.join();
    await this.selfLookup();
    // The self lookup reached every node there is: random targets would reach the same ones.
    if (this.wholeNetwork) return;
    for (let i = 0; i < 3; i++) await n.lookup(Uint8Array.from({ length: 32 }, () => Math.floor(n.random() * 256)));
  }

  async save(): Promise<void> {
    const p = this.node.opts.persistence;
    if (!p) return;
    try {
      await p.save(this.node.tableRecords());
    } catch (e) {
      this.node.log.warn('routing table not saved', { err: String(e) });
    }
  }

  /** Keeps the table full: a lookup for a random id (re-joins when empty). */
  async randomLookup(): Promise<void> {
    const n = this.node;
    if (n.table.size === 0) return this.join();
    await n.lookup(randomIdInBucket(n.id, Math.floor(n.random() * 8), n.random)).catch(() => undefined);
  }

  /** Random lookups in up to `limit` buckets not touched for maxAgeMs (farthest buckets first). */
  async refreshBuckets(maxAgeMs: number, limit = 16): Promise<void> {
    const n = this.node;
    const stale = n.table.staleBuckets(n.clock.monotonic() - maxAgeMs).slice(0, limit);
    for (const b of stale) {
      if (!n.running) return;
      await n.lookup(randomIdInBucket(n.id, b, n.random)).catch(() => undefined);
    }
  }

  // ---- network records ----

  async announce(): Promise<number> {
    const n = this.node;
    const key = n.networkKey;
    if (!key || !n.running) return 0;
    // A wildcard bind does not know the address others see; its record would be refused.
    if (ipClass(n.host) === 'special') return 0;
    const ttlSec = Math.min(this.opts.networkRecordTtlSec ?? 30 * 60, n.values.limits.maxTtlSec);
    const now = n.clock.now();
    const value = encodeNetworkRecord(key, { publicKey: n.publicKey, host: n.host, port: n.port, expiry: now + ttlSec * 1000 }, n.opts.secretKey);
    n.values.put(toHex(key), n.idHex, value, ttlSec, now);
    const { closest } = await n.lookup(key);
    const ok = await Promise.all(closest.map((c) => n.storeAt(c, key, value, ttlSec)));
    const stored = ok.filter(Boolean).length;
    n.log.debug('network record announced', { stored, of: closest.length });
    return stored;
  }

  async findNetworkPeers(): Promise<PeerRecord[]> {
    const n = this.node;
    const key = n.networkKey;
    if (!key || !n.running) return [];
    const now = n.clock.now();
    const local = n.values.get(toHex(key), now);
    const found = n.table.size ? (await n.lookup(key, { findValue: true })).values : [];
    const out = new Map<string, PeerRecord>();
    for (const v of [...local, ...found].slice(0, 64)) {
      const r = decodeNetworkRecord(key, v, n.clock.now());
      if (typeof r === 'string') {
        n.stats.dropped['bad-record']++;
        continue;
      }
      if (r.id === n.idHex || out.has(r.id)) continue;
      out.set(r.id, { id: r.id, host: r.host, port: r.port });
    }
    this.networkPeersFound += out.size;
    this.networkLookupsDone++;
    for (const p of out.values()) n.emit('network-peer', p);
    return [...out.values()];
  }

  /** Network-record lookups: backoff from 1 s until some are found, then every interval. */
  private networkLoop(delay: number): void {
    this.after(delay, () => {
      void this.findNetworkPeers().catch(() => []).then((found) => {
        const next = found.length ? (this.opts.networkLookupIntervalMs ?? 60_000) : Math.min(delay * 2, this.backoffMax);
        this.networkLoop(next);
      });
    });
  }
}

/** Resolves when the first of `pings` answers, or when all have failed. */
function firstAnswer(pings: Promise<unknown>[]): Promise<void> {
  if (!pings.length) return Promise.resolve();
  return new Promise((resolve) => {
    let left = pings.length;
    for (const p of pings) {
      void p.then((r) => {
        left--;
        if (r !== undefined || left === 0) resolve();
      }, () => {
        if (--left === 0) resolve();
      });
    }
  });
}
