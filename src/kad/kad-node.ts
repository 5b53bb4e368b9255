// A Kademlia node: answers PING / FIND_NODE / STORE / FIND_VALUE, keeps the routing table fresh
// (ping-before-evict, bucket refresh, random lookups), runs iterative alpha-parallel lookups, and
// reports newly verified peers. Endpoint proof: FIND_* is answered only for an address that
// answered our PING recently, so a spoofed source gets nothing back.
import { EventEmitter } from 'node:events';
import { nodeIdFromPublicKey, publicKeyFromSecret, toHex } from '../crypto/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { decodePacket, encodePacket, MAX_NODES_PER_PACKET, ipv4ToBytes, type Body, type DecodedPacket, type DropReason, type NodeRecord } from './packet.js';
import { RoutingTable, compareDistance, randomIdInBucket, K, type Contact } from './routing-table.js';
import { ValueStore, DEFAULT_VALUE_LIMITS, type ValueStoreLimits } from './value-store.js';
import { realClock, UdpTransport, type Clock, type Datagram, type Transport } from './transport.js';
import { LookupHistory, LookupTrace } from './lookup-history.js';

export interface PeerRecord {
  id: string; // hex
  host: string;
  port: number;
  lastSeen?: number;
}

/** Where the table survives restarts (the node backs it with the `peers` sublevel). */
export interface TablePersistence {
  load(): Promise<PeerRecord[]>;
  save(records: PeerRecord[]): Promise<void>;
}

export interface KadOptions {
  secretKey: Uint8Array;
  /** Either a transport, or host/port to bind real UDP on. */
  transport?: Transport;
  host?: string;
  port?: number;
  bootstrap?: { host: string; port: number }[];
  logger?: Logger;
  persistence?: TablePersistence;
  clock?: Clock;
  random?: () => number;
  k?: number;
  alpha?: number;
  responseTimeoutMs?: number;
  /** Packet lifetime (receivers drop older packets). */
  packetTtlMs?: number;
  endpointProofMs?: number;
  refreshIntervalMs?: number;
  randomLookupIntervalMs?: number;
  saveIntervalMs?: number;
  valueLimits?: ValueStoreLimits;
  /** Periodic refresh, random lookups and saves (default on; simulations drive nodes by hand). */
  maintenance?: boolean;
  /** Join (bootstrap) on start (default on). */
  autoJoin?: boolean;
  /**
   * Endpoint proof before answering FIND_* (default on). Large simulations with pre-seeded tables
   * turn it off to measure routing alone; the proof itself is covered over real UDP.
   */
  endpointProof?: boolean;
}

export interface LookupResult {
  closest: Contact[];
  rounds: number;
  messages: number;
  value?: Uint8Array;
}

export interface KadEvents {
  peer: [PeerRecord];
}

export interface KadStats {
  received: number;
  sent: number;
  dropped: Record<DropReason, number>;
}

interface Pending {
  resolve: (p: DecodedPacket[] | undefined) => void;
  timer: unknown;
  endpoint: string;
  expect: Body['type'][];
  got: DecodedPacket[];
  total: number;
}

export class KadNode extends EventEmitter<KadEvents> {
  readonly id: Uint8Array;
  readonly idHex: string;
  readonly publicKey: Uint8Array;
  readonly table: RoutingTable;
  readonly values: ValueStore;
  readonly stats: KadStats = {
    received: 0, sent: 0,
    dropped: { oversize: 0, malformed: 0, 'bad-magic': 0, 'bad-version': 0, 'bad-signature': 0, expired: 0, unsolicited: 0, 'unverified-endpoint': 0 },
  };
  /** The last lookups, round by round (bounded; see lookup-history.ts). */
  readonly lookups = new LookupHistory();
  private transport: Transport | undefined;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly k: number;
  private readonly alpha: number;
  private readonly pending = new Map<string, Pending>();
  /** endpoint -> last time it answered our PING (we verified it). */
  private readonly verified = new Map<string, number>();
  /** endpoint -> last time we answered its PING (it verified us). */
  private readonly provedTo = new Map<string, number>();
  private readonly bondWaiters = new Map<string, (() => void)[]>();
  private readonly evicting = new Set<string>();
  private timers: unknown[] = [];
  private started = false;
  private reqCounter: bigint;

  constructor(private readonly opts: KadOptions) {
    super();
    this.publicKey = publicKeyFromSecret(opts.secretKey);
    this.id = nodeIdFromPublicKey(this.publicKey);
    this.idHex = toHex(this.id);
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger).child({ module: 'kad' });
    this.k = opts.k ?? K;
    this.alpha = opts.alpha ?? 3;
    this.table = new RoutingTable(this.id, undefined, this.k);
    this.values = new ValueStore(opts.valueLimits ?? DEFAULT_VALUE_LIMITS);
    this.reqCounter = BigInt(Math.floor(this.random() * 2 ** 48)) << 16n;
    this.transport = opts.transport;
  }

  get host(): string {
    return this.transport?.host ?? this.opts.host ?? '127.0.0.1';
  }
  get port(): number {
    return this.transport?.port ?? 0;
  }

  private get endpointProofMs(): number {
    return this.opts.endpointProofMs ?? 12 * 60 * 60 * 1000;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (!this.transport) this.transport = await UdpTransport.bind(this.opts.host ?? '127.0.0.1', this.opts.port ?? 0);
    this.transport.onReceive((d, h, p) => this.receive(d, h, p));
    if (this.opts.maintenance !== false) {
      const refresh = this.opts.refreshIntervalMs ?? 60 * 60 * 1000;
      this.every(Math.max(1000, Math.min(refresh, 60_000)), () => void this.refreshBuckets(refresh));
      this.every(this.opts.randomLookupIntervalMs ?? 5 * 60 * 1000, () => void this.randomLookup());
      if (this.opts.persistence) this.every(this.opts.saveIntervalMs ?? 5 * 60 * 1000, () => void this.save());
    }
    if (this.opts.autoJoin !== false) void this.join();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers = [];
    for (const [, p] of this.pending) {
      this.clock.clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
    await this.save();
    await this.transport?.close();
  }

  private every(ms: number, fn: () => void): void {
    const tick = (): void => {
      if (!this.started) return;
      fn();
      this.timers.push(this.clock.setTimeout(tick, ms));
    };
    this.timers.push(this.clock.setTimeout(tick, ms));
  }

  /** Bootstrap: saved table first, then the bootstrap addresses; then look ourselves up. */
  async join(): Promise<void> {
    const saved = (await this.opts.persistence?.load().catch(() => [])) ?? [];
    const boots = this.opts.bootstrap ?? [];
    await Promise.all([...saved.map((r) => this.ping(r.host, r.port)), ...boots.map((b) => this.ping(b.host, b.port))]);
    if (this.table.size > 0) {
      await this.lookup(this.id);
      // The paper refreshes every bucket farther than the closest neighbour; the widest few carry
      // almost all of the benefit, the rest fill from incoming traffic and periodic refresh.
      await this.refreshBuckets(0, 4);
    }
    this.log.info('discovery joined', { table: this.table.size, saved: saved.length, bootstrap: boots.length });
  }

  async save(): Promise<void> {
    if (!this.opts.persistence) return;
    try {
      await this.opts.persistence.save(this.tableRecords());
    } catch (e) {
      this.log.warn('routing table not saved', { err: String(e) });
    }
  }

  tableRecords(): PeerRecord[] {
    return this.table.entries().map((e) => ({ id: e.idHex, host: e.host, port: e.port, lastSeen: e.lastSeen }));
  }

  tableEntries(): { id: string; host: string; port: number; bucket: number; lastSeen: number }[] {
    return this.table.entries().map((e) => ({ id: e.idHex, host: e.host, port: e.port, bucket: e.bucket, lastSeen: e.lastSeen }));
  }

  bucketFill(): number[] {
    return this.table.bucketFill();
  }

  closest(target: Uint8Array, n = this.k): Contact[] {
    return this.table.closest(target, n);
  }

  // ---- sending ----

  private nextRequestId(): bigint {
    this.reqCounter = (this.reqCounter + 1n) & 0xffff_ffff_ffff_ffffn;
    return this.reqCounter;
  }

  private send(host: string, port: number, requestId: bigint, body: Body): void {
    if (!this.transport) return;
    const expiry = this.clock.now() + (this.opts.packetTtlMs ?? 20_000);
    let data: Datagram;
    if (this.transport.wire === 'signed') data = encodePacket({ requestId, expiry, body }, this.opts.secretKey, this.publicKey);
    else data = { requestId, expiry, senderKey: this.publicKey, senderId: this.id, body };
    this.stats.sent++;
    this.transport.send(host, port, data);
  }

  private request(host: string, port: number, body: Body, expect: Body['type'][]): Promise<DecodedPacket[] | undefined> {
    const requestId = this.nextRequestId();
    const key = requestId.toString();
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(key);
        resolve(undefined);
      }, this.opts.responseTimeoutMs ?? 2000);
      this.pending.set(key, { resolve, timer, endpoint: `${host}:${port}`, expect, got: [], total: 1 });
      this.send(host, port, requestId, body);
    });
  }

  /** PING: on PONG the endpoint is verified and the node enters our table. */
  async ping(host: string, port: number): Promise<Contact | undefined> {
    if (!ipv4ToBytes(host)) return undefined;
    const r = await this.request(host, port, { type: 'ping' }, ['pong']);
    const p = r?.[0];
    if (!p) return undefined;
    const c = { id: p.senderId, idHex: toHex(p.senderId), host, port, lastSeen: this.clock.now() };
    this.observe(c);
    return c;
  }

  /** Make sure `c` has verified us (it answers FIND_* only then): ping it and await its ping back. */
  private async bond(host: string, port: number): Promise<boolean> {
    if (this.opts.endpointProof === false) return true;
    const ep = `${host}:${port}`;
    const proved = this.provedTo.get(ep);
    if (proved !== undefined && this.clock.now() - proved < this.endpointProofMs) return true;
    const back = new Promise<boolean>((resolve) => {
      const t = this.clock.setTimeout(() => resolve(false), (this.opts.responseTimeoutMs ?? 2000) * 2);
      const list = this.bondWaiters.get(ep) ?? [];
      list.push(() => { this.clock.clearTimeout(t); resolve(true); });
      this.bondWaiters.set(ep, list);
    });
    const r = await this.request(host, port, { type: 'ping' }, ['pong']);
    const pong = r?.[0];
    if (!pong || pong.body.type !== 'pong') return false;
    this.observe({ id: pong.senderId, idHex: toHex(pong.senderId), host, port, lastSeen: this.clock.now() });
    if (pong.body.verified) {
      this.provedTo.set(ep, this.clock.now());
      return true;
    }
    return back;
  }

  // ---- receiving ----

  private drop(reason: DropReason): void {
    this.stats.dropped[reason]++;
  }

  private receive(data: Datagram, host: string, port: number): void {
    if (!this.started) return;
    this.stats.received++;
    let p: DecodedPacket;
    if (data instanceof Uint8Array) {
      const d = decodePacket(data, this.clock.now());
      if (typeof d === 'string') return this.drop(d);
      p = d;
    } else {
      if (data.expiry < this.clock.now()) return this.drop('expired');
      p = data;
    }
    try {
      this.handle(p, host, port);
    } catch (e) {
      this.log.debug('packet handler error', { err: String(e) });
      this.drop('malformed');
    }
  }

  private handle(p: DecodedPacket, host: string, port: number): void {
    const ep = `${host}:${port}`;
    const now = this.clock.now();
    const senderHex = toHex(p.senderId);
    if (senderHex === this.idHex) return this.drop('unsolicited');
    const isVerified = this.opts.endpointProof === false || (this.verified.get(ep) ?? -Infinity) > now - this.endpointProofMs;
    switch (p.body.type) {
      case 'ping': {
        this.send(host, port, p.requestId, { type: 'pong', verified: isVerified });
        this.provedTo.set(ep, now);
        const waiters = this.bondWaiters.get(ep);
        this.bondWaiters.delete(ep);
        waiters?.forEach((w) => w());
        // Verify them in turn (they need our PONG to reach a real address too).
        if (!isVerified) void this.ping(host, port);
        else this.observe({ id: p.senderId, idHex: senderHex, host, port, lastSeen: now });
        return;
      }
      case 'find-node':
      case 'find-value': {
        if (!isVerified) return this.drop('unverified-endpoint');
        this.observe({ id: p.senderId, idHex: senderHex, host, port, lastSeen: now });
        if (p.body.type === 'find-value') {
          const v = this.values.get(p.body.key, now);
          if (v) return this.send(host, port, p.requestId, { type: 'value', key: p.body.key, value: v });
        }
        const target = p.body.type === 'find-node' ? p.body.target : p.body.key;
        const nodes: NodeRecord[] = this.table.closest(target, this.k).filter((c) => c.idHex !== senderHex).map((c) => ({ id: c.id, host: c.host, port: c.port }));
        const total = Math.max(1, Math.ceil(nodes.length / MAX_NODES_PER_PACKET));
        for (let i = 0; i < total; i++) this.send(host, port, p.requestId, { type: 'nodes', total, nodes: nodes.slice(i * MAX_NODES_PER_PACKET, (i + 1) * MAX_NODES_PER_PACKET) });
        return;
      }
      case 'store': {
        if (!isVerified) return this.drop('unverified-endpoint');
        this.values.put(p.body.key, p.body.value, p.body.ttlSec, now);
        return;
      }
      case 'pong':
      case 'nodes':
      case 'value': {
        const key = p.requestId.toString();
        const pend = this.pending.get(key);
        if (!pend || pend.endpoint !== ep || !pend.expect.includes(p.body.type)) return this.drop('unsolicited');
        if (p.body.type === 'pong') this.verified.set(ep, now);
        pend.got.push(p);
        if (p.body.type === 'nodes') pend.total = Math.min(p.body.total, 8);
        if (p.body.type !== 'nodes' || pend.got.length >= pend.total) {
          this.pending.delete(key);
          this.clock.clearTimeout(pend.timer);
          pend.resolve(pend.got);
        }
        return;
      }
    }
  }

  /** A verified node was seen: table update, ping-before-evict when its bucket is full. */
  private observe(c: Contact): void {
    const res = this.table.update(c, this.clock.now());
    if (res.status === 'added') this.emit('peer', { id: c.idHex, host: c.host, port: c.port });
    else if (res.status === 'full' && !this.evicting.has(res.oldest.idHex)) {
      const oldest = res.oldest;
      this.evicting.add(oldest.idHex);
      void this.request(oldest.host, oldest.port, { type: 'ping' }, ['pong']).then((r) => {
        this.evicting.delete(oldest.idHex);
        if (r) this.table.update(oldest, this.clock.now()); // alive: stays, newcomer waits
        else {
          this.table.remove(oldest.idHex); // dead: the replacement takes its place
          const promoted = this.table.get(c.idHex);
          if (promoted) this.emit('peer', { id: c.idHex, host: c.host, port: c.port });
        }
      });
    }
  }

  // ---- lookups ----

  /**
   * Iterative lookup with alpha requests in flight; stops when the k closest contacts seen have
   * all answered or failed. Rounds = longest chain of referrals that was followed.
   */
  async lookup(target: Uint8Array, opts: { findValue?: boolean } = {}): Promise<LookupResult> {
    type Cand = { c: Contact; round: number; state: 'new' | 'inflight' | 'done' | 'failed' };
    const seen = new Map<string, Cand>();
    for (const c of this.table.closest(target, this.k)) seen.set(c.idHex, { c, round: 1, state: 'new' });
    const sentBefore = this.stats.sent;
    const trace = new LookupTrace(target, opts.findValue ? 'find-value' : 'find-node', this.clock.now());
    let rounds = 0;
    let value: Uint8Array | undefined;
    const bucket = this.table.bucketIndex(target);
    this.table.touch(bucket, this.clock.now());

    const ordered = (): Cand[] => [...seen.values()].filter((x) => x.state !== 'failed').sort((a, b) => compareDistance(target, a.c.id, b.c.id)).slice(0, this.k);
    await new Promise<void>((resolve) => {
      let inflight = 0;
      const pump = (): void => {
        if (value !== undefined) {
          if (inflight === 0) resolve();
          return;
        }
        const top = ordered();
        for (const x of top) {
          if (inflight >= this.alpha) break;
          if (x.state !== 'new') continue;
          x.state = 'inflight';
          inflight++;
          rounds = Math.max(rounds, x.round);
          trace.asked(x.round);
          void this.query(x.c, target, opts.findValue === true).then((res) => {
            inflight--;
            trace.answered(x.round, res ? x.c.id : undefined);
            if (!res) {
              x.state = 'failed';
              if (this.table.has(x.c.idHex)) this.table.remove(x.c.idHex);
            } else {
              x.state = 'done';
              if (res.value) value = res.value;
              for (const n of res.nodes) {
                const h = toHex(n.id);
                if (h === this.idHex || seen.has(h) || !ipv4ToBytes(n.host)) continue;
                seen.set(h, { c: { id: n.id, idHex: h, host: n.host, port: n.port, lastSeen: 0 }, round: x.round + 1, state: 'new' });
              }
            }
            pump();
          });
        }
        if (inflight === 0) resolve();
      };
      pump();
    });
    const closest = ordered().filter((x) => x.state === 'done').map((x) => x.c);
    this.lookups.add(trace.finish(this.clock.now(), closest.map((c) => c.id), this.stats.sent - sentBefore));
    return { closest, rounds, messages: this.stats.sent - sentBefore, value };
  }

  private async query(c: Contact, target: Uint8Array, findValue: boolean): Promise<{ nodes: NodeRecord[]; value?: Uint8Array } | undefined> {
    if (!(await this.bond(c.host, c.port))) return undefined;
    const body: Body = findValue ? { type: 'find-value', key: target } : { type: 'find-node', target };
    const res = await this.request(c.host, c.port, body, findValue ? ['nodes', 'value'] : ['nodes']);
    if (!res || !res.length) return undefined;
    const nodes: NodeRecord[] = [];
    let value: Uint8Array | undefined;
    for (const p of res) {
      if (p.body.type === 'nodes') nodes.push(...p.body.nodes);
      if (p.body.type === 'value') value = p.body.value;
    }
    return { nodes: nodes.slice(0, this.k * 2), value };
  }

  /** STORE a value at the k nodes closest to its key. */
  async store(key: Uint8Array, value: Uint8Array, ttlSec = 3600): Promise<number> {
    const { closest } = await this.lookup(key);
    for (const c of closest) this.send(c.host, c.port, this.nextRequestId(), { type: 'store', key, value, ttlSec });
    return closest.length;
  }

  async findValue(key: Uint8Array): Promise<Uint8Array | undefined> {
    const local = this.values.get(key, this.clock.now());
    if (local) return local;
    return (await this.lookup(key, { findValue: true })).value;
  }

  /** Keeps the table full: a lookup for a random id (re-joins from saved peers when empty). */
  async randomLookup(): Promise<void> {
    if (this.table.size === 0) return this.join();
    await this.lookup(randomIdInBucket(this.id, Math.floor(this.random() * 8), this.random)).catch(() => undefined);
  }

  /** Random lookups in up to `limit` buckets not touched for maxAgeMs (farthest buckets first). */
  async refreshBuckets(maxAgeMs: number, limit = 16): Promise<void> {
    const stale = this.table.staleBuckets(this.clock.now() - maxAgeMs).slice(0, limit);
    for (const b of stale) await this.lookup(randomIdInBucket(this.id, b, this.random)).catch(() => undefined);
  }
}


