// Who may talk to the API, decided per connection and per request before any route runs, cheapest
// first: the connection's per-IP share (at accept), then per request the header count, the one Host
// it names (a duplicate Host or a foreign absolute-form target included), the per-IP caps and,
// for writes and WebSockets, the Origin. The checks themselves live in guards.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpError } from './http-util.js';
import { ClientLimiter, ConnectionGate, HostPolicy, isLoopbackAddress, requestHost } from './guards.js';
import type { ApiLimits } from './limits.js';

export class ApiDoors {
  private readonly policy: HostPolicy;
  private readonly limiter: ClientLimiter;
  private readonly gates = new WeakMap<Socket, ConnectionGate>();
  /** Connections of an IP over its share: each request on them is refused with 429. */
  private readonly overShare = new WeakSet<Socket>();

  constructor(private readonly limits: ApiLimits, bindHost: string, allowHosts?: readonly string[]) {
    this.policy = new HostPolicy(bindHost, allowHosts);
    this.limiter = new ClientLimiter(limits);
  }

  private exempt(ip: string | undefined): boolean {
    return this.limits.loopbackExempt && isLoopbackAddress(ip);
  }

  /**
   * A new connection: gets its pipelining gate and is counted against its IP. Over the share its
   * requests get 429; past twice the share it is closed at once (false), since an idle connection
   * would otherwise hold one of the server's slots until the header timeout.
   */
  connected(s: Socket): boolean {
    this.gates.set(s, new ConnectionGate(this.limits.maxInFlightPerConnection, this.limits.maxQueuedPerConnection));
    const ip = s.remoteAddress;
    const counted = ip !== undefined && !this.exempt(ip);
    s.once('close', () => {
      this.gates.get(s)?.close();
      if (counted) this.limiter.closeConnection(ip);
    });
    if (!counted) return true;
    const open = this.limiter.openConnection(ip);
    if (open <= this.limits.maxConnectionsPerIp) return true;
    this.overShare.add(s);
    if (open <= 2 * this.limits.maxConnectionsPerIp) return true;
    s.destroy();
    return false;
  }

  /** Runs `job` under the connection's pipelining gate; false when the client pipelines past its queue. */
  admit(req: IncomingMessage, res: ServerResponse, job: () => void): boolean {
    const gate = this.gates.get(req.socket);
    if (!gate) return job(), true;
    return gate.admit(res, job);
  }

  /** The checks every request passes before its route (an upgrade too); throws the refusal. */
  check(req: IncomingMessage, kind: 'request' | 'upgrade'): void {
    if (req.rawHeaders.length / 2 > this.limits.maxHeaders) {
      throw new HttpError(431, 'too-many-headers', `expected at most ${this.limits.maxHeaders} headers`);
    }
    const host = requestHost(req);
    if ('refusal' in host) throw new HttpError(400, 'bad-host', host.refusal);
    if (!this.policy.hostAllowed(host.host)) {
      throw new HttpError(403, 'forbidden-host', `Host ${JSON.stringify((host.host ?? '').slice(0, 80))} is not served (DNS rebinding protection); the operator can allow a name with --api-allow-host`);
    }
    const ip = req.socket.remoteAddress;
    if (ip !== undefined && !this.exempt(ip)) {
      if (this.overShare.has(req.socket)) {
        throw new HttpError(429, 'too-many-connections', `at most ${this.limits.maxConnectionsPerIp} connections per address`, { 'retry-after': '1', connection: 'close' });
      }
      const wait = this.limiter.takeRequest(ip);
      if (wait > 0) throw new HttpError(429, 'rate-limited', `more than ${this.limits.requestsPerSecondPerIp} requests per second`, { 'retry-after': String(wait) });
    }
    // A read carries no body (RFC 9110 9.3.1): one would be read and thrown away for as long as the
    // client sends it (a GET with 50 MB of body was read whole and answered 200).
    if ((req.method === 'GET' || req.method === 'HEAD') && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0)) {
      throw new HttpError(413, 'body-too-large', `a ${req.method} request carries no body (limit 0 bytes)`);
    }
    // Reads are harmless cross-origin (the browser withholds the answer); writes and WebSockets are not.
    if ((kind === 'upgrade' || (req.method !== 'GET' && req.method !== 'HEAD')) && !this.policy.originAllowed(req.headers.origin, host.host)) {
      throw new HttpError(403, 'forbidden-origin', kind === 'upgrade' ? 'cross-origin WebSocket refused' : `cross-origin ${req.method} refused`);
    }
  }
}
