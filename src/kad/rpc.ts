// Requests and their answers: request ids, per-attempt timeouts and retries (geth's discover: an
// answer within 500 ms or the request is sent again, at most 3 times), replies split across
// several packets, and the check that an answer comes from the endpoint and the key we asked.
// The per-attempt timeout adapts to measured round trips (RFC 6298's SRTT and RTTVAR; every attempt
// has its own request id, so each answer is an unambiguous sample, late ones included), between a
// floor and the configured 500 ms ceiling: a lost datagram on a fast network costs tens of ms. When
// answers are measured slower than the ceiling, it follows them (up to 4x). Retries back off (x2 per
// attempt), so a loaded peer is not answered with a retry storm, and a timeout that fires late
// (this process's event loop was stalled) waits again instead of retrying. A call may take a late
// single-packet answer (a PONG): bonds.ts uses it, since a late signed PONG still proves its endpoint.
import type { Body, BodyType, DecodedPacket } from './packet.js';
import type { Clock } from './transport.js';
import { ExpiringLru } from './bounded.js';

export interface RequestOptions {
  /** Only a reply signed by this node id counts (undefined: any signer, e.g. a bootstrap address). */
  expectId?: string;
  attempts?: number;
  timeoutMs?: number;
  /** Expected round trips per attempt (2 when the peer must bond with us before it answers). */
  roundTrips?: number;
  /**
   * A single-packet answer (e.g. a PONG) that arrives after the call gave up, while its attempt is
   * still remembered (bounded, seconds): verified like any answer, then handed here. A late but
   * signed answer from the endpoint we asked still proves that endpoint.
   */
  onLate?: (p: DecodedPacket) => void;
}

interface Attempt {
  call: Call;
  got: DecodedPacket[];
  total: number;
  sentAt: number;
}

interface Call {
  /** What we asked (a PING is answered at once; other requests may wait for the peer's bond). */
  asked: BodyType;
  host: string;
  port: number;
  expect: readonly BodyType[];
  expectId: string | undefined;
  onLate: ((p: DecodedPacket) => void) | undefined;
  /** Resolved with an answer: late duplicates of its other attempts need no verification. */
  answered: boolean;
  ids: bigint[];
  timer: unknown;
  attempts: Attempt[];
  /** Starts the current attempt's wait over (once per attempt): the peer showed it is working on it. */
  extend: (() => void) | undefined;
  done: boolean;
  resolve: (p: DecodedPacket[] | undefined) => void;
}

/** Parts of one multi-packet reply we accept at most (a reply's `total` is capped to this). */
const MAX_PARTS = 4;
/** A timer this late (ms, and at least half its own length) means the event loop was stalled. */
const STALL_MIN_MS = 50;
/** How far measured round trips may stretch the configured timeout ceiling. */
const MAX_STRETCH = 4;
/** Times one attempt's wait starts over after a stall before it gives up and retries anyway. */
const MAX_STALL_REARMS = 2;

export class Rpc {
  private readonly pending = new Map<bigint, Attempt>();
  private counter: bigint;
  private closed = false;
  /** Smoothed round trip and its variation (ms); undefined until the first sample. */
  private srtt: number | undefined;
  private rttvar = 0;
  /**
   * Attempts that timed out, kept a little while (bounded): an answer arriving late is still a
   * round-trip sample. Without it only the fast answers would be measured, and under load the
   * timeout would shrink exactly when it should grow.
   */
  private readonly late = new ExpiringLru<{ sentAt: number; call: Call }, bigint>(512, 10_000);

  constructor(
    private readonly clock: Clock,
    random: () => number,
    private readonly sendRaw: (host: string, port: number, requestId: bigint, body: Body) => void,
    private readonly defaults: { attempts: number; timeoutMs: number; minTimeoutMs?: number; adaptive?: boolean },
  ) {
    this.counter = BigInt(Math.floor(random() * 2 ** 48)) << 16n;
  }

  get inflight(): number {
    return this.pending.size;
  }

  /**
   * The current per-attempt timeout for one round trip (ms). The configured ceiling holds while
   * answers come within it; when measured round trips (late answers included) exceed half of it,
   * the ceiling follows them up to MAX_STRETCH times: those answers do come, and a retry sent
   * before them only queues a duplicate behind the original at a loaded peer (or in our own
   * socket buffer while this loop is saturated). 150 nodes joining in one process sent 28% of
   * their FIND_NODEs twice this way, and the extra work kept the queues long.
   */
  get timeoutMs(): number {
    const ceil = this.defaults.timeoutMs;
    if (this.srtt === undefined) return ceil;
    const floor = Math.min(ceil, this.defaults.minTimeoutMs ?? 100);
    const top = Math.min(MAX_STRETCH * ceil, Math.max(ceil, Math.ceil(2 * this.srtt)));
    return Math.max(floor, Math.min(top, Math.ceil(2 * this.srtt + 4 * this.rttvar)));
  }

  /**
   * What we await from this endpoint and id (its answer will prove it): 'ping' when a PING is
   * among the requests (answered at once, no bond needed), 'request' for others, else undefined.
   */
  awaiting(host: string, port: number, idHex: string): 'ping' | 'request' | undefined {
    let found: 'request' | undefined;
    for (const a of this.pending.values()) {
      const call = a.call;
      if (call.done || call.port !== port || call.host !== host || call.expectId !== idHex) continue;
      if (call.asked === 'ping') return 'ping';
      found = 'request';
    }
    return found;
  }

  /**
   * The peer we are waiting on pinged us to bond before it answers (it holds our request): it has
   * our request and is working on it. The attempt's wait starts over once, rather than a retry
   * crossing the answer on its way: under load (150 nodes in one process) 14% of a join's
   * FIND_NODEs were sent twice, each copy costing a signature, a verification, a second NODES
   * reply and often a second ping-back. A lost PONG of ours is still recovered by the retry, one
   * wait later. Returns whether a request to that endpoint and id is awaiting its answer.
   */
  progress(host: string, port: number, idHex: string): boolean {
    let found = false;
    for (const a of this.pending.values()) {
      const call = a.call;
      // A request to an address whose id we do not know yet (a bootstrap) awaits whoever answers there.
      if (call.done || call.port !== port || call.host !== host || (call.expectId !== idHex && call.expectId !== undefined)) continue;
      found = true;
      call.extend?.();
    }
    return found;
  }

  private sample(ms: number): void {
    if (this.srtt === undefined) {
      this.srtt = ms;
      this.rttvar = ms / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - ms);
      this.srtt = 0.875 * this.srtt + 0.125 * ms;
    }
  }

  nextId(): bigint {
    this.counter = (this.counter + 1n) & 0xffff_ffff_ffff_ffffn;
    return this.counter;
  }

  /**
   * Sends `body` and resolves with the reply packets, or undefined when every attempt timed out
   * (or the node stopped). A multi-packet reply that stays incomplete resolves with its parts.
   */
  request(host: string, port: number, body: Body, expect: readonly BodyType[], opts: RequestOptions = {}): Promise<DecodedPacket[] | undefined> {
    if (this.closed) return Promise.resolve(undefined);
    const attempts = opts.attempts ?? this.defaults.attempts;
    const base = opts.timeoutMs ?? (this.defaults.adaptive === false ? this.defaults.timeoutMs : this.timeoutMs);
    const timeoutMs = Math.min(base * (opts.roundTrips ?? 1), Math.max(base, this.defaults.timeoutMs));
    return new Promise((resolve) => {
      const call: Call = { asked: body.type, host, port, expect, expectId: opts.expectId, onLate: opts.onLate, answered: false, ids: [], timer: undefined, attempts: [], extend: undefined, done: false, resolve };
      const attempt = (n: number): void => {
        if (call.done) return;
        if (this.closed || n >= attempts) return this.finish(call, bestPartial(call));
        const id = this.nextId();
        const a: Attempt = { call, got: [], total: 1, sentAt: this.clock.monotonic() };
        call.attempts.push(a);
        call.ids.push(id);
        this.pending.set(id, a);
        // Each retry waits twice as long: a slow (loaded) peer is not answered by a retry storm.
        const wait = timeoutMs * 2 ** n;
        this.arm(call, wait, () => attempt(n + 1));
        call.extend = () => {
          call.extend = undefined;
          // The answer's round-trip sample still starts at the request, so a query that waited for
          // the bond counts two round trips as one. Sampling from here (one round trip left) is
          // right in theory, but the smaller estimate shortened every timeout, and 150 nodes
          // joining in one process (CPU-bound) then retried enough to send 45-150% more datagrams
          // per join: the doubled samples are the margin a loaded peer's queue needs.
          this.clock.clearTimeout(call.timer);
          this.arm(call, wait, () => attempt(n + 1));
        };
        this.sendRaw(host, port, id, body);
      };
      attempt(0);
    });
  }

  /**
   * Runs `retry` after `ms`, unless the timer fires late: then this process's event loop was
   * stalled (CPU-bound, e.g. many nodes in one process), the answer may be sitting unread in the
   * socket buffer, or the peer (maybe in this very process) has not run yet. A retry then would
   * only duplicate work, so it waits about as long again (a bounded number of times) and the
   * queued datagrams are read first. A timer that fires on time retries at once.
   */
  private arm(call: Call, ms: number, retry: () => void, stalls = 0): void {
    const due = this.clock.monotonic() + ms;
    call.timer = this.clock.setTimeout(() => {
      if (call.done) return;
      const late = this.clock.monotonic() - due;
      // Catching up takes about as long as the stall did (never longer than a full wait).
      if (late > Math.max(STALL_MIN_MS, ms / 2) && stalls < MAX_STALL_REARMS) return this.arm(call, Math.min(ms, late), retry, stalls + 1);
      retry();
    }, ms);
  }

  /**
   * Cheap check before a response's signature is verified: is this request id waiting on this
   * endpoint (or late, from a call that takes late answers)? A late answer is a round-trip sample.
   */
  expects(requestId: bigint, host: string, port: number): boolean {
    const key = requestId;
    const a = this.pending.get(key);
    if (a !== undefined && !a.call.done && a.call.port === port && a.call.host === host) return true;
    const now = this.clock.monotonic();
    const l = this.late.get(key, now);
    if (!l || l.call.port !== port || l.call.host !== host) return false;
    if (l.sentAt >= 0) this.sample(now - l.sentAt);
    if (!l.call.onLate || l.call.answered) {
      this.late.delete(key);
      return false;
    }
    // Sampled once; kept until the verified packet reaches handleResponse (or the entry expires).
    l.sentAt = -1;
    return true;
  }

  /** A response packet: true when it answered one of our requests (else the caller drops it). */
  handleResponse(p: DecodedPacket, host: string, port: number): boolean {
    const a = this.pending.get(p.requestId);
    if (!a) return this.handleLate(p, host, port);
    const call = a.call;
    if (call.port !== port || call.host !== host || !call.expect.includes(p.body.type)) return false;
    if (call.expectId !== undefined && p.senderHex !== call.expectId) return false;
    a.got.push(p);
    if (a.got.length === 1) this.sample(this.clock.monotonic() - a.sentAt);
    if (p.body.type === 'nodes' || p.body.type === 'value') a.total = Math.min(p.body.total, MAX_PARTS);
    if ((p.body.type !== 'nodes' && p.body.type !== 'value') || a.got.length >= a.total) this.finish(call, a.got);
    return true;
  }

  /** A late answer for a call that takes them: same endpoint, type and signer checks as on time. */
  private handleLate(p: DecodedPacket, host: string, port: number): boolean {
    const key = p.requestId;
    const l = this.late.get(key, this.clock.monotonic());
    const call = l?.call;
    if (!call?.onLate || call.answered || call.port !== port || call.host !== host || !call.expect.includes(p.body.type)) return false;
    if (p.body.type === 'nodes' || p.body.type === 'value') return false; // single-packet answers only
    if (call.expectId !== undefined && p.senderHex !== call.expectId) return false;
    this.late.delete(key);
    call.onLate(p);
    return true;
  }

  /** Every call in flight resolves undefined now; later requests resolve undefined at once. */
  close(): void {
    this.closed = true;
    for (const a of [...this.pending.values()]) this.finish(a.call, undefined);
    this.pending.clear();
  }

  private finish(call: Call, result: DecodedPacket[] | undefined): void {
    if (call.done) return;
    call.done = true;
    call.answered = result !== undefined && result.length > 0;
    this.clock.clearTimeout(call.timer);
    for (const id of call.ids) {
      const a = this.pending.get(id);
      if (a && !a.got.length && !this.closed) this.late.set(id, { sentAt: a.sentAt, call }, this.clock.monotonic());
      this.pending.delete(id);
    }
    call.resolve(result && result.length ? result : undefined);
  }
}

function bestPartial(call: Call): DecodedPacket[] | undefined {
  let best: DecodedPacket[] | undefined;
  for (const a of call.attempts) if (a.got.length && (!best || a.got.length > best.length)) best = a.got;
  return best;
}
