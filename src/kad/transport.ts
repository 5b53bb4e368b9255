// Transports for discovery: real UDP (node:dgram) and an in-memory simulated network with a
// virtual clock, seeded latency, loss and dead nodes, so the same routing code runs at 10,000
// nodes in one process. The simulation may carry decoded packets directly (no signing), which is
// the only difference from the real wire.
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import { BinaryHeap, monotonicNow } from '../core/index.js';
import type { DecodedPacket } from './packet.js';
import { ipClass, ipFamily, normaliseIp, type IpFamily } from './addr.js';

export type Datagram = Uint8Array | DecodedPacket;

export interface Clock {
  /** Wall time (ms): packet expiry and records, which travel between machines; contacts' last-seen. */
  now(): number;
  /** Monotonic time (ms) for durations: round trips, retry timers, expiring in-memory state. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: monotonicNow,
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface Transport {
  readonly host: string;
  readonly port: number;
  /** 'signed': real binary packets; 'plain': decoded packets passed as objects (simulation only). */
  readonly wire: 'signed' | 'plain';
  send(host: string, port: number, data: Datagram): void;
  /** Whether this transport can send to `host` (address family, scope). */
  canReach(host: string): boolean;
  onReceive(handler: (data: Datagram, host: string, port: number) => void): void;
  close(): Promise<void>;
}

/**
 * Real UDP. An IPv6 host binds `udp6` (`::` is dual-stack: IPv4 peers arrive as `::ffff:a.b.c.d`
 * and are reported as plain IPv4), an IPv4 host binds `udp4`. After close(), send is a no-op: a
 * lookup still in flight must not crash the process with ERR_SOCKET_DGRAM_NOT_RUNNING.
 */
export class UdpTransport implements Transport {
  readonly wire = 'signed' as const;
  private handler: ((data: Datagram, host: string, port: number) => void) | undefined;
  private closed = false;
  /** Host -> the address a datagram to it is sent to ('' when unreachable); bounded, cleared when full. */
  private readonly sendTo = new Map<string, string>();
  private constructor(private readonly socket: Socket, readonly host: string, readonly port: number, readonly family: IpFamily, private readonly dualStack: boolean) {
    // A udp4 socket reports plain dotted quads already: only a udp6 socket's addresses need normalising.
    const plain = family === 4;
    socket.on('message', (msg, rinfo) => {
      if (!this.closed) this.handler?.(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), plain ? rinfo.address : normaliseIp(rinfo.address), rinfo.port);
    });
    socket.on('error', () => {}); // ICMP unreachable and friends: a lost datagram, nothing more
  }

  static async bind(host: string, port: number): Promise<UdpTransport> {
    const h = normaliseIp(host);
    const family = ipFamily(h) ?? 4;
    // Every send names a literal address (send() checks it): the default lookup (dns.lookup) would
    // cost a regex and a nextTick per datagram to hand the same string back.
    const socket = createSocket({ type: family === 6 ? 'udp6' : 'udp4', reuseAddr: false, ipv6Only: false, lookup: literalLookup });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, h, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new UdpTransport(socket, h, socket.address().port, family, h === '::');
  }

  /** Whether a datagram to `host` can leave this socket at all (address family). */
  canReach(host: string): boolean {
    const f = ipFamily(host);
    if (f === undefined) return false;
    if (f === this.family) return !(f === 6 && ipClass(host) !== 'loopback' && ipClass(this.host) === 'loopback');
    return this.dualStack;
  }

  /** The address to send to for `host` ('' when this socket cannot reach it), worked out once per host. */
  private destination(host: string): string {
    let to = this.sendTo.get(host);
    if (to === undefined) {
      to = !this.canReach(host) ? '' : this.family === 6 && ipFamily(host) === 4 ? `::ffff:${host}` : host;
      if (this.sendTo.size >= 4096) this.sendTo.clear();
      this.sendTo.set(host, to);
    }
    return to;
  }

  send(host: string, port: number, data: Datagram): void {
    if (!(data instanceof Uint8Array)) throw new TypeError('UDP carries encoded packets only');
    if (this.closed) return;
    const to = this.destination(host);
    if (!to) return;
    try {
      // No callback: node would queue a nextTick per datagram to call it; a failed send is a lost
      // datagram either way (and an asynchronous error reaches the 'error' listener).
      this.socket.send(data, port, to);
    } catch {
      // a socket closed under us or a bad address: the datagram is lost, as UDP may lose it anyway
    }
  }
  onReceive(handler: (data: Datagram, host: string, port: number) => void): void {
    this.handler = handler;
  }
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** dgram's lookup: a literal address is handed straight back, synchronously; a name goes to dns.lookup. */
function literalLookup(host: string, opts: LookupOneOptions | number, cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const f = isIP(host);
  if (f) cb(null, host, f);
  else dnsLookup(host, typeof opts === 'number' ? { family: opts } : opts, cb);
}

// ---- simulation ----

interface SimEvent {
  time: number;
  seq: number;
  fn: () => void;
}

/** Virtual time: events run in (time, seq) order; nothing waits for real time. */
export class SimClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly heap = new BinaryHeap<SimEvent>(less);
  private readonly cancelled = new Set<number>();

  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  /** Virtual time does not step: one clock for both. */
  monotonic(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const ev = { time: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.heap.push(ev);
    return ev.seq;
  }
  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.cancelled.add(handle);
  }
  get pending(): number {
    return this.heap.size;
  }

  /** Runs events (letting promise continuations settle after each) until none remain or maxTime. */
  async run(maxTime = Infinity): Promise<void> {
    for (;;) {
      for (let ev = this.heap.peek(); ev; ev = this.heap.peek()) {
        if (ev.time > maxTime) break;
        this.heap.pop();
        if (this.cancelled.delete(ev.seq)) continue;
        this.t = ev.time;
        ev.fn();
        // Let promise continuations triggered by this event run (cheap microtask turns).
        for (let i = 0; i < 6; i++) await null;
      }
      // Before declaring the run idle, let every remaining continuation settle.
      await new Promise<void>((r) => setImmediate(r));
      const next = this.heap.peek();
      if (!next || next.time > maxTime) break;
    }
    if (maxTime !== Infinity && maxTime > this.t) this.t = maxTime;
  }
}

function less(a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export interface SimOptions {
  seed: number;
  latencyMs?: [number, number];
  loss?: number;
  /** Tests: drop chosen datagrams (e.g. the first PONG of a join) before loss and latency apply. */
  dropIf?: (from: string, to: string, data: Datagram) => boolean;
  /** Tests: extra delay (ms) for chosen datagrams, e.g. an answer that arrives after its request gave up. */
  delayIf?: (from: string, to: string, data: Datagram) => number;
  /** Tests: see every datagram sent. */
  onSend?: (from: string, to: string, data: Datagram) => void;
}

/** An in-memory datagram network of many transports on one virtual clock. */
export class SimNetwork {
  readonly clock = new SimClock();
  private readonly endpoints = new Map<string, SimTransport>();
  private readonly dead = new Set<string>();
  private state: number;
  /** Per-link last delivery time: one path keeps datagram order, as real paths nearly always do. */
  private readonly linkClock = new Map<string, number>();
  messages = 0;

  constructor(private readonly opts: SimOptions) {
    this.state = opts.seed >>> 0 || 1;
  }

  /** Seeded PRNG (mulberry32): the whole simulation is reproducible from the seed. */
  random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  transport(host: string, port: number): SimTransport {
    const t = new SimTransport(this, host, port);
    this.endpoints.set(`${host}:${port}`, t);
    return t;
  }

  kill(host: string, port: number): void {
    this.dead.add(`${host}:${port}`);
  }
  revive(host: string, port: number): void {
    this.dead.delete(`${host}:${port}`);
  }
  isDead(host: string, port: number): boolean {
    return this.dead.has(`${host}:${port}`);
  }

  deliver(from: SimTransport, host: string, port: number, data: Datagram): void {
    this.messages++;
    const key = `${host}:${port}`;
    this.opts.onSend?.(`${from.host}:${from.port}`, key, data);
    if (this.opts.dropIf?.(`${from.host}:${from.port}`, key, data)) return;
    if (this.dead.has(key) || this.dead.has(`${from.host}:${from.port}`)) return;
    if (this.opts.loss && this.random() < this.opts.loss) return;
    const [lo, hi] = this.opts.latencyMs ?? [5, 50];
    const link = `${from.host}:${from.port}>${key}`;
    const extra = this.opts.delayIf?.(`${from.host}:${from.port}`, key, data) ?? 0;
    const at = Math.max(this.clock.now() + lo + this.random() * (hi - lo), (this.linkClock.get(link) ?? 0) + 0.001) + extra;
    // A delayed datagram does not hold back the rest of its link (it models one slow datagram).
    if (!extra) this.linkClock.set(link, at);
    this.clock.setTimeout(() => this.endpoints.get(key)?.receive(data, from.host, from.port), at - this.clock.now());
  }

  remove(t: SimTransport): void {
    this.endpoints.delete(`${t.host}:${t.port}`);
  }
}

export class SimTransport implements Transport {
  readonly wire = 'plain' as const;
  private handler: ((data: Datagram, host: string, port: number) => void) | undefined;
  constructor(private readonly net: SimNetwork, readonly host: string, readonly port: number) {}
  canReach(): boolean {
    return true;
  }
  send(host: string, port: number, data: Datagram): void {
    this.net.deliver(this, host, port, data);
  }
  onReceive(handler: (data: Datagram, host: string, port: number) => void): void {
    this.handler = handler;
  }
  receive(data: Datagram, host: string, port: number): void {
    this.handler?.(data, host, port);
  }
  async close(): Promise<void> {
    this.net.remove(this);
  }
}
