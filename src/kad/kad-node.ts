// A Kademlia node: answers PING / FIND_NODE / STORE / FIND_VALUE and runs lookups. Receive path in
// tiers, cheapest first (receive.ts): framing, per-source budget, signature, expiry, then the handler. Bonds are
// keyed by (node id, IP): FIND_* is answered only for a signer that answered our PING from that IP,
// so neither a spoofed source nor a throwaway key from a bonded address gets a large reply.
// Bonding is lazy (one round trip, on demand; bonds.ts): a FIND_* or STORE from an unbonded (id, IP)
// is held while we PING the sender once; its PONG bonds it and releases the held request.
// Signatures are made and checked on the loop when it is idle, on a libsodium worker thread
// (bounded, batched) when it is busy (crypto-gate.ts).
// Maintenance (join with backoff, revalidation, refresh, network records) lives in maintenance.ts;
// liveness checks of table entries (revalidation and ping-before-evict share them) in liveness.ts.
import { EventEmitter } from 'node:events';
import { nodeIdFromPublicKey, publicKeyFromSecret, toHex } from '../crypto/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { ipFamily, normaliseIp, relayAllowed } from './addr.js';
import { replyNodes, valueParts } from './answers.js';
import { Bonds } from './bonds.js';
import { processCryptoGate, type CryptoGate } from './crypto-gate.js';
import { iterativeLookup, type LookupResult, type QueryAnswer } from './lookup.js';
import { Maintenance } from './maintenance.js';
import { decodeNetworkRecord, networkKey } from './network-record.js';
import {
  DROP_REASONS, MAX_NODES_PER_PACKET, RESPONSE_TYPES, encodeSigned, encodeSignedGated, nodesPackets, packetSigner, type PacketSigner,
  type Body, type DecodedPacket, type DropReason, type NodeRecord,
} from './packet.js';
import { RoutingTable, K, type Contact } from './routing-table.js';
import { Liveness } from './liveness.js';
import { ReceivePath } from './receive.js';
import { Rpc } from './rpc.js';
import { realClock, UdpTransport, type Clock, type Transport } from './transport.js';
import { ValueStore, DEFAULT_VALUE_LIMITS } from './value-store.js';
import { LookupHistory, LookupTrace } from './lookup-history.js';

export type { LookupResult } from './lookup.js';
export type { PeerRecord, TablePersistence, KadOptions, KadEvents, KadStats } from './options.js';
import type { PeerRecord, KadOptions, KadEvents, KadStats } from './options.js';

/** Times a lookup asks one candidate (DESIGN: at most 3; 2 survive any single lost datagram). */
const LOOKUP_ATTEMPTS = 2;

export class KadNode extends EventEmitter<KadEvents> {
  readonly id: Uint8Array;
  readonly idHex: string;
  readonly publicKey: Uint8Array;
  readonly table: RoutingTable;
  readonly values: ValueStore;
  readonly stats: KadStats;
  readonly k: number;
  readonly alpha: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  /** SHA-256("kadchain-network" || genesis) when a network is set. */
  readonly networkKey: Uint8Array | undefined;
  /** The last lookups, round by round (bounded; see lookup-history.ts). */
  readonly lookups = new LookupHistory();
  private transport: Transport | undefined;
  private readonly rpc: Rpc;
  private readonly bonds: Bonds;
  private readonly receiver: ReceivePath;
  /** Liveness checks of table entries (revalidation and ping-before-evict share them). */
  readonly liveness: Liveness;
  private readonly maintenance: Maintenance;
  private started = false;
  /** Where signatures are made and checked (real UDP): inline, or on the pool when the loop is busy. */
  private readonly gate: CryptoGate | undefined;
  /** Our key, parsed once: every packet is signed with it. */
  private readonly signer: PacketSigner;

  constructor(readonly opts: KadOptions) {
    super();
    this.publicKey = publicKeyFromSecret(opts.secretKey);
    this.id = nodeIdFromPublicKey(this.publicKey);
    this.idHex = toHex(this.id);
    this.signer = packetSigner(opts.secretKey, this.publicKey);
    this.clock = opts.clock ?? realClock;
    this.random = opts.random ?? Math.random;
    this.log = (opts.logger ?? silentLogger).child({ module: 'kad' });
    this.k = opts.k ?? K;
    this.alpha = opts.alpha ?? 3;
    this.table = new RoutingTable(this.id, undefined, this.k);
    this.values = new ValueStore(opts.valueLimits ?? DEFAULT_VALUE_LIMITS);
    this.stats = { received: 0, sent: 0, pingBacks: 0, dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number> };
    const cap = opts.maxSources ?? 4096;
    const b = opts.requestBudget ?? { burst: 64, perSecond: 32 };
    this.gate = opts.offloadCrypto === false ? undefined : (opts.cryptoGate ?? processCryptoGate);
    this.receiver = new ReceivePath({
      running: () => this.started, expects: (id, h, p) => this.rpc.expects(id, h, p), drop: (r) => this.drop(r), handle: (p, h, port, now) => this.handle(p, h, port, now),
    }, this.clock, this.log, this.gate, { ...b, cap });
    this.rpc = new Rpc(this.clock, this.random, (h, p, id, body) => this.send(h, p, id, body), {
      attempts: opts.attempts ?? 3, timeoutMs: opts.responseTimeoutMs ?? 500, adaptive: opts.adaptiveTimeouts !== false,
    });
    this.bonds = new Bonds(this.rpc, this.clock, {
      running: () => this.started, observe: (c) => this.observe(c), release: (p, host, port) => this.handle(p, host, port, this.clock.now()), pingedBack: () => this.stats.pingBacks++,
    }, { cap, proofMs: opts.endpointProofMs ?? 12 * 60 * 60 * 1000, responseTimeoutMs: opts.responseTimeoutMs ?? 500, endpointProof: opts.endpointProof !== false, selfHex: this.idHex });
    this.networkKey = opts.networkId ? networkKey(opts.networkId) : undefined;
    this.transport = opts.transport;
    this.maintenance = new Maintenance(this, opts);
    this.liveness = new Liveness(this.table, this.clock, { running: () => this.started, ping: (h, p, id) => this.ping(h, p, id), failed: (c, max) => this.failed(c, max) });
  }

  get host(): string {
    return this.transport?.host ?? this.opts.host ?? '127.0.0.1';
  }
  get port(): number {
    return this.transport?.port ?? 0;
  }
  get running(): boolean {
    return this.started;
  }
  /** Whether a network-record lookup has found a peer of our own network yet. */
  get foundNetworkPeers(): boolean {
    return this.maintenance.foundNetworkPeers;
  }
  /** A network-record lookup ran and found no peer of our network: any discovered node may be one. */
  get networkRecordsMissing(): boolean {
    return this.maintenance.networkRecordsMissing;
  }
  /** Sizes of the per-source maps (tests check they stay bounded). */
  get sourceState(): { verified: number; provedTo: number; budget: number; pending: number; held: number } {
    return { ...this.bonds.sizes, budget: this.receiver.budgetSize, pending: this.rpc.inflight };
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (!this.transport) this.transport = await UdpTransport.bind(this.opts.host ?? '127.0.0.1', this.opts.port ?? 0);
    this.started = true;
    this.transport.onReceive((d, h, p) => {
      if (!this.started) return;
      this.stats.received++;
      this.receiver.receive(d, h, p);
    });
    this.maintenance.start();
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    this.maintenance.stop();
    this.rpc.close();
    await this.maintenance.save();
    await this.transport?.close();
  }

  /** Bootstrap: saved table first, then the bootstrap addresses (retried with backoff); then a self lookup. */
  join(): Promise<void> {
    return this.maintenance.join();
  }
  save(): Promise<void> {
    return this.maintenance.save();
  }
  randomLookup(): Promise<void> {
    return this.maintenance.randomLookup();
  }
  refreshBuckets(maxAgeMs: number, limit = 16): Promise<void> {
    return this.maintenance.refreshBuckets(maxAgeMs, limit);
  }
  /** One revalidation step now (the background loop runs it every few seconds): pings one due entry. */
  revalidate(): Promise<void> {
    return this.maintenance.revalidate();
  }
  /** Publishes our signed network record at the k closest nodes to the network key. */
  announce(): Promise<number> {
    return this.maintenance.announce();
  }
  /** Looks up the network key: verified records of nodes of our own network (emitted as 'network-peer'). */
  findNetworkPeers(): Promise<PeerRecord[]> {
    return this.maintenance.findNetworkPeers();
  }
  /** An address known to run a node (e.g. a WebSocket peer after its handshake): ping it; it enters the table if it answers. */
  offer(host: string, port: number): void {
    if (this.started && ipFamily(host) && this.transport?.canReach(normaliseIp(host))) void this.ping(normaliseIp(host), port);
  }

  tableRecords(): PeerRecord[] {
    return this.table.entries().map((e) => ({ id: e.idHex, host: e.host, port: e.port, lastSeen: this.wallTime(e.lastSeen) }));
  }

  tableEntries(): { id: string; host: string; port: number; bucket: number; lastSeen: number }[] {
    return this.table.entries().map((e) => ({ id: e.idHex, host: e.host, port: e.port, bucket: e.bucket, lastSeen: this.wallTime(e.lastSeen) }));
  }

  /** The table keeps monotonic times (durations: liveness, refresh); what is saved or shown is wall time. */
  private wallTime(monotonic: number): number {
    return Math.round(this.clock.now() - (this.clock.monotonic() - monotonic));
  }

  bucketFill(): number[] {
    return this.table.bucketFill();
  }

  closest(target: Uint8Array, n = this.k): Contact[] {
    return this.table.closest(target, n);
  }

  // ---- sending ----

  private send(host: string, port: number, requestId: bigint, body: Body): void {
    const transport = this.transport;
    if (!transport || !this.started) return;
    const expiry = this.clock.now() + (this.opts.packetTtlMs ?? 20_000);
    this.stats.sent++;
    if (transport.wire === 'plain') return transport.send(host, port, { requestId, expiry, senderKey: this.publicKey, senderId: this.id, senderHex: this.idHex, body });
    const packet = { requestId, expiry, body };
    const bytes = this.gate ? encodeSignedGated(packet, this.signer, this.gate) : encodeSigned(packet, this.signer);
    if (bytes instanceof Uint8Array) return transport.send(host, port, bytes);
    // Signed on a worker (the loop is busy): sent when done, unless the node stopped meanwhile.
    bytes.then((b) => this.started && transport.send(host, port, b), (e: unknown) => this.log.warn('discovery: signing failed', { err: String(e) }));
  }

  /**
   * A join's first exchange with a bootstrap address (id unknown): FIND_NODE for our own id,
   * retried. The bootstrap bonds with us first (its PING, our PONG), then answers; the signed answer
   * bonds it in turn and seeds the self lookup. Two datagrams and a round trip fewer than a PING
   * first, and at a bootstrap that many join at once no PING crossing our FIND_NODE (which made it
   * hold the request and ping us a second time).
   */
  async findSelfAt(host: string, port: number): Promise<{ c: Contact; nodes: NodeRecord[] } | undefined> {
    if (!ipFamily(host) || !this.started) return undefined;
    const res = await this.rpc.request(host, port, { type: 'find-node', target: this.id }, ['nodes'], { roundTrips: 2 });
    const first = res?.[0];
    if (!first || !this.started) return undefined;
    // Any signer may answer an address whose id we do not know, but every part from the same one.
    const nodes: NodeRecord[] = [];
    for (const p of res) if (p.senderHex === first.senderHex && p.body.type === 'nodes') nodes.push(...p.body.nodes);
    const c = this.bonds.bonded(first.senderId, first.senderHex, host, port, this.clock.monotonic());
    return { c, nodes: nodes.slice(0, this.k * 2) };
  }

  /** PING (retried): on PONG the (id, IP) is verified and the node enters our table. */
  async ping(host: string, port: number, expectId?: string): Promise<Contact | undefined> {
    if (!ipFamily(host) || !this.started) return undefined;
    const r = await this.rpc.request(host, port, { type: 'ping' }, ['pong'], { expectId, onLate: this.bonds.latePong(host, port) });
    const p = r?.[0];
    if (!p || p.body.type !== 'pong') return undefined;
    return this.bonds.onPong(p, host, port);
  }

  // ---- receiving ----

  private drop(reason: DropReason): void {
    this.stats.dropped[reason]++;
  }

  /** A packet past the receive tiers (receive.ts): signed, fresh, within budget or expected. */
  private handle(p: DecodedPacket, host: string, port: number, now: number): void {
    const senderHex = p.senderHex;
    if (senderHex === this.idHex) return this.drop('unsolicited');
    // Only requests ask whether the sender is bonded (a response is matched to our request instead).
    // `now` (wall) is for packets and records; bonds and the table measure durations (monotonic).
    const at = this.clock.monotonic();
    const isVerified = !RESPONSE_TYPES.has(p.body.type) && this.bonds.isVerified(senderHex, host, at);
    switch (p.body.type) {
      case 'ping': {
        this.send(host, port, p.requestId, { type: 'pong', verified: isVerified });
        this.bonds.answeredPing(senderHex, host, at);
        if (isVerified) this.observe({ id: p.senderId, idHex: senderHex, host, port, lastSeen: at });
        // Verify it in turn (our PONG must reach a real address too), unless it is about to answer
        // a request of ours (that answer bonds it). One ping-back per (id, IP), a bounded number in
        // flight: a flood of fresh keys cannot queue unbounded work.
        // Its PING while we await its answer is the bond before that answer: our wait starts over.
        else if (!this.rpc.progress(host, port, senderHex)) this.bonds.pingBack(host, port, senderHex);
        return;
      }
      case 'find-node':
      case 'find-value': {
        if (!isVerified) return this.hold(p, host, port, senderHex, at);
        this.observe({ id: p.senderId, idHex: senderHex, host, port, lastSeen: at });
        return this.answerFind(host, port, p.requestId, p.body, senderHex, now);
      }
      case 'store': {
        if (!isVerified) return this.hold(p, host, port, senderHex, at);
        const rec = decodeNetworkRecord(p.body.key, p.body.value, now);
        // Only a node's own record, for the address it speaks from: no pointing the DHT at a third party.
        if (typeof rec === 'string' || rec.id !== senderHex || rec.host !== host || rec.port !== port) return this.drop('bad-record');
        const ttl = Math.min(p.body.ttlSec, Math.floor((rec.expiry - now) / 1000));
        if (this.values.put(toHex(p.body.key), senderHex, p.body.value, ttl, now)) this.send(host, port, p.requestId, { type: 'pong', verified: true });
        return;
      }
      case 'pong':
      case 'nodes':
      case 'value':
        if (!this.rpc.handleResponse(p, host, port)) this.drop('unsolicited');
        return;
    }
  }

  /** Not handled now: held until the sender answers our PING (see bonds.ts). */
  private hold(p: DecodedPacket, host: string, port: number, senderHex: string, now: number): void {
    this.drop('unverified-endpoint');
    this.bonds.hold(p, host, port, senderHex, now);
  }

  private answerFind(host: string, port: number, requestId: bigint, body: Body, senderHex: string, now: number): void {
    if (body.type === 'find-value') {
      const recs = this.values.get(toHex(body.key), now);
      if (recs.length) return this.sendValues(host, port, requestId, body.key, recs);
    }
    if (body.type !== 'find-node' && body.type !== 'find-value') return;
    const target = body.type === 'find-node' ? body.target : body.key;
    const nodes = this.answerNodes(target, senderHex, this.clock.monotonic());
    const parts = nodesPackets(nodes);
    for (const part of parts) this.send(host, port, requestId, { type: 'nodes', total: parts.length, nodes: part });
  }

  private answerNodes(target: Uint8Array, exceptHex: string, now: number): NodeRecord[] {
    const liveMs = this.opts.revalidateSettledMs !== undefined ? this.opts.revalidateSettledMs * 20 : 30 * 60 * 1000;
    return replyNodes(this.table, target, exceptHex, this.opts.replyNodes ?? MAX_NODES_PER_PACKET, liveMs, now);
  }

  private sendValues(host: string, port: number, requestId: bigint, key: Uint8Array, recs: Uint8Array[]): void {
    const parts = valueParts(recs);
    for (const c of parts) this.send(host, port, requestId, { type: 'value', key, total: parts.length, values: c });
  }

  /** A verified node was seen: table update, ping-before-evict when its bucket is full. */
  observe(c: Contact): void {
    const res = this.table.update(c, this.clock.monotonic());
    if (res.status === 'added') {
      if (this.table.size === 1) this.maintenance.onContact();
      this.emit('peer', { id: c.idHex, host: c.host, port: c.port });
    }
    // A full bucket: the newcomer waits as a replacement; its oldest entry may be checked (liveness.ts).
    else if (res.status === 'full') this.liveness.bucketFull(res.oldest);
  }

  /** An exchange with `c` failed after its retries: counts against the entry only at its own address. */
  failed(c: Contact, maxFailures?: number): void {
    const r = this.table.failed(c.idHex, c.host, c.port, maxFailures);
    if (r.promoted) this.emit('peer', { id: r.promoted.idHex, host: r.promoted.host, port: r.promoted.port });
  }

  // ---- lookups ----

  /** Iterative lookup (FIND_NODE, or FIND_VALUE with findValue). */
  async lookup(target: Uint8Array, opts: { findValue?: boolean; answered?: { c: Contact; nodes: NodeRecord[] }[] } = {}): Promise<LookupResult> {
    const sentBefore = this.stats.sent;
    const trace = new LookupTrace(target, opts.findValue ? 'find-value' : 'find-node', this.clock.now());
    this.table.touch(this.table.bucketIndex(target), this.clock.monotonic());
    const r = await iterativeLookup(target, {
      selfHex: this.idHex, k: this.k, alpha: this.alpha, stopOnValue: opts.findValue === true,
      // A query to a new peer may take two round trips (it bonds with us first).
      slowMs: 2 * this.rpc.timeoutMs,
      setTimer: (fn, ms) => this.clock.setTimeout(fn, ms),
      clearTimer: (t) => this.clock.clearTimeout(t),
      start: this.table.closest(target, this.k),
      answered: opts.answered,
      running: () => this.started,
      query: async (c, round) => {
        trace.asked(round);
        const res = await this.query(c, target, opts.findValue === true);
        trace.answered(round, res ? c.id : undefined);
        return res;
      },
      acceptRelayed: (from, n) => n.port > 0 && relayAllowed(from.host, n.host) && (this.transport?.canReach(n.host) ?? false),
      failed: (c) => this.failed(c),
    });
    this.lookups.add(trace.finish(this.clock.now(), r.closest.map((c) => c.id), this.stats.sent - sentBefore));
    return { ...r, messages: this.stats.sent - sentBefore };
  }

  private async query(c: Contact, target: Uint8Array, findValue: boolean): Promise<QueryAnswer | undefined> {
    if (!this.started) return undefined;
    const body: Body = findValue ? { type: 'find-value', key: target } : { type: 'find-node', target };
    // No bond round first: an unbonded peer PINGs us and answers after our PONG (two round trips).
    const proved = this.bonds.provedTo(c.idHex, c.host, this.clock.monotonic());
    // Two attempts: one lost datagram anywhere in the exchange is survived (a retried request gets a
    // fresh bond PING), and a dead candidate holds the lookup for 3 timeouts rather than 7.
    const res = await this.rpc.request(c.host, c.port, body, findValue ? ['nodes', 'value'] : ['nodes'], { expectId: c.idHex, roundTrips: proved ? 1 : 2, attempts: LOOKUP_ATTEMPTS });
    if (!res) return undefined;
    // Signed by c, echoing our request id, from c's endpoint: as good a proof as a PONG.
    this.bonds.bonded(c.id, c.idHex, c.host, c.port, this.clock.monotonic());
    const nodes: NodeRecord[] = [];
    const values: Uint8Array[] = [];
    for (const p of res) {
      if (p.body.type === 'nodes') nodes.push(...p.body.nodes);
      if (p.body.type === 'value') values.push(...p.body.values);
    }
    return { nodes: nodes.slice(0, this.k * 2), values };
  }

  /** STORE (acknowledged, retried) at one node; an unbonded node bonds with us first (lazily, two round trips). */
  async storeAt(c: Contact, key: Uint8Array, value: Uint8Array, ttlSec: number): Promise<boolean> {
    if (!this.started) return false;
    const proved = this.bonds.provedTo(c.idHex, c.host, this.clock.monotonic());
    const r = await this.rpc.request(c.host, c.port, { type: 'store', key, value, ttlSec }, ['pong'], { expectId: c.idHex, roundTrips: proved ? 1 : 2 });
    return r !== undefined;
  }
}
