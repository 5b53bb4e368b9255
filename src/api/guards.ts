// The API's doors: which Host and Origin may talk to it (DNS rebinding, cross-site WebSockets and
// POSTs), per-IP caps for clients that are not on loopback, and the per-connection gate that keeps a
// client from having more answers produced than it reads (HTTP pipelining without reading).
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ipv6Prefix64 } from '../p2p/index.js';
import { monotonicNow, refill } from '../core/index.js';

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopbackAddress(ip: string | undefined): boolean {
  if (!ip) return false;
  const v4 = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return v4.startsWith('127.') ? isIP(v4) === 4 : ip === '::1';
}

const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** The host name of a Host header value, lowercased, without port, brackets or trailing dot. */
export function hostName(header: string): string | undefined {
  const h = header.trim().toLowerCase();
  let name: string;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return undefined;
    name = h.slice(1, end);
    const rest = h.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
  } else {
    const m = /^([^:]+)(?::\d{1,5})?$/.exec(h);
    if (!m) return undefined;
    name = m[1]!;
  }
  name = name.replace(/\.$/, '');
  return name === '' ? undefined : name;
}

/**
 * The host a request names: its one Host header, or the authority of an absolute-form target,
 * which overrides Host (RFC 9112 3.2.2). More than one Host is refused (RFC 9112 3.2): two
 * programs on the way could each judge the request by a different one; so is none in HTTP/1.1.
 */
export function requestHost(req: IncomingMessage): { host: string | undefined } | { refusal: string } {
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'host') hosts++;
  if (hosts > 1) return { refusal: `${hosts} Host headers; expected one` };
  const target = req.url ?? '/';
  if (target.startsWith('/') || target === '*') {
    // HTTP/1.1 requires Host (RFC 9112 3.2); a request without one (HTTP/1.0) is no browser's.
    if (hosts === 0 && req.httpVersionMajor === 1 && req.httpVersionMinor >= 1) return { refusal: 'an HTTP/1.1 request needs a Host header' };
    return { host: req.headers.host };
  }
  try {
    const u = new URL(target);
    if ((u.protocol === 'http:' || u.protocol === 'https:') && u.host !== '') return { host: u.host };
  } catch {
    /* refused below */
  }
  return { refusal: 'the request target is neither a path nor an http URL' };
}

/**
 * Which Host and Origin headers the API answers. A page on another site can rebind its own name to
 * 127.0.0.1 and reach the node, but its requests still carry its own name as Host, so only names
 * that cannot be rebound are answered: loopback names and addresses, the address the API is bound
 * to (every local interface address when it is bound to a wildcard), and names the operator allows.
 */
export class HostPolicy {
  private readonly allowed = new Set<string>();
  private readonly anyHost: boolean;

  constructor(bindHost: string, allowHosts: readonly string[] = []) {
    const names = allowHosts.map((n) => n.trim().toLowerCase()).filter(Boolean);
    this.anyHost = names.includes('*');
    for (const n of names) this.allowed.add(hostName(n) ?? n);
    if (WILDCARDS.has(bindHost)) {
      for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) this.allowed.add(i.address.toLowerCase());
    } else {
      this.allowed.add(hostName(bindHost) ?? bindHost.toLowerCase());
    }
  }

  /** A request without Host (HTTP/1.0) is no browser's: rebinding needs a name, so it passes. */
  hostAllowed(header: string | undefined): boolean {
    if (header === undefined || this.anyHost) return true;
    const name = hostName(header);
    if (name === undefined) return false;
    return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name) || this.allowed.has(name);
  }

  /**
   * Same-origin only: an Origin, when present, must name the very host (and port) the request was
   * sent to, over http or https. "null" (sandboxed pages, file: URLs) is refused.
   */
  originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
    if (origin === undefined) return true;
    if (hostHeader === undefined) return false;
    try {
      const o = new URL(origin);
      if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
      return o.host === new URL(`${o.protocol}//${hostHeader}`).host;
    } catch {
      return false;
    }
  }
}

/**
 * The key the per-IP caps count a client under: an IPv4 address as it is (IPv4-mapped IPv6
 * included), an IPv6 address by its /64, since one host is commonly handed a whole /64 and could
 * otherwise open connections and spend request tokens under 2^64 names (Bitcoin Core's netgroups
 * group addresses more coarsely still). Anything unparsable counts as itself.
 */
export function addressGroup(ip: string): string {
  const mapped = ip.toLowerCase().startsWith('::ffff:') ? ip.slice(7) : ip;
  if (isIP(mapped) === 4) return mapped;
  return isIP(ip) === 6 ? ipv6Prefix64(ip) : ip;
}

interface IpState {
  connections: number;
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

/** Per-IP caps on open connections and request rate (token bucket), bounded in tracked IPs; an IPv6 /64 is one IP. */
export class ClientLimiter {
  private readonly ips = new Map<string, IpState>();

  constructor(
    private readonly limits: { maxConnectionsPerIp: number; requestsPerSecondPerIp: number; requestBurstPerIp: number; maxTrackedIps: number },
    private readonly now: () => number = monotonicNow,
  ) {}

  get trackedIps(): number {
    return this.ips.size;
  }

  private state(address: string): IpState {
    const ip = addressGroup(address);
    let s = this.ips.get(ip);
    if (s) {
      this.ips.delete(ip); // re-insert: Map order is the recency order
    } else {
      if (this.ips.size >= this.limits.maxTrackedIps) this.forgetIdle();
      s = { connections: 0, tokens: this.limits.requestBurstPerIp, at: this.now() };
    }
    this.ips.set(ip, s);
    return s;
  }

  private forgetIdle(): void {
    for (const [ip, s] of this.ips) {
      if (s.connections === 0) {
        this.ips.delete(ip);
        return;
      }
    }
  }

  /** Counts a new connection; returns how many the IP has open, this one included. */
  openConnection(ip: string): number {
    const s = this.state(ip);
    return ++s.connections;
  }

  closeConnection(ip: string): void {
    const s = this.ips.get(addressGroup(ip));
    if (s && s.connections > 0) s.connections--;
  }

  /** Takes one request token: 0 when allowed, else the seconds to wait (for Retry-After). */
  takeRequest(ip: string): number {
    const s = this.state(ip);
    const now = this.now();
    const rate = this.limits.requestsPerSecondPerIp;
    s.tokens = refill(s, { burst: this.limits.requestBurstPerIp, perSecond: rate }, now);
    s.at = now;
    if (s.tokens >= 1) {
      s.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - s.tokens) / rate));
  }
}

/**
 * One connection's requests: at most `maxInFlight` are being answered at once, a request counting
 * until its answer has been flushed to the socket ('finish'), so a client that pipelines without
 * reading has no more answers produced than it reads. Later requests wait, up to `maxQueued`.
 * Reading stops by itself meanwhile: node:http pauses a socket whose pending output is above its
 * high-water mark, and with the gate that output is at most the answers in flight.
 */
export class ConnectionGate {
  private inFlight = 0;
  private waiting: (() => void)[] = [];
  private closed = false;

  constructor(private readonly maxInFlight: number, private readonly maxQueued: number) {}

  /** Runs `job` now or when an earlier answer is flushed; false when the queue is full. */
  admit(res: ServerResponse, job: () => void): boolean {
    if (this.closed) return true; // the socket is gone: nothing to answer
    if (this.inFlight < this.maxInFlight) {
      this.run(res, job);
      return true;
    }
    if (this.waiting.length >= this.maxQueued) return false;
    this.waiting.push(() => this.run(res, job));
    return true;
  }

  /** The socket closed: drop every waiting request. */
  close(): void {
    this.closed = true;
    this.waiting = [];
  }

  private run(res: ServerResponse, job: () => void): void {
    this.inFlight++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.inFlight--;
      if (!this.closed) this.waiting.shift()?.();
    };
    res.once('finish', release);
    res.once('close', release);
    job();
  }
}
