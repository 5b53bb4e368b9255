// The global inbound handshake budget: one token bucket over every inbound connection, whatever
// its source, so that a flood from many addresses (each under its own connect rate, connect-rate.ts)
// still buys a bounded number of handshakes per second, each a signature verification and a
// signature. Looked at (not spent) at the upgrade, so that while it is empty a flood is closed
// before our hello; spent when the dialler's proof arrives, before it is verified, so a socket that
// never proves (a silent one) spends nothing. The excess is closed with 'busy' before any key is
// touched and dials again later. Outbound dials and established peers never touch it.
// Fairness under pressure: while the bucket is below half, a host granted a handshake within
// `hostIntervalMs` waits, so the tokens left go to hosts not served lately: an honest peer that
// retries gets in while fewer than perSecond x hostIntervalMs addresses (320 by default) reconnect
// in a loop; past that it draws its share like any of them. The host map is bounded
// (least recently granted forgotten first) and forgets nothing it still needs: an entry older than
// the interval carries no information.
import { refill, type TokenBucket, type TokenRate, monotonicNow } from '../core/index.js';

export interface HandshakeBudgetLimits {
  /** Inbound handshakes per second, over all sources (bucket refill). */
  perSecond: number;
  /** Inbound handshakes at once (bucket size). */
  burst: number;
  /** Under pressure, a host granted a handshake within this waits. */
  hostIntervalMs: number;
  /** Hosts remembered at once. */
  maxHosts: number;
}

export class HandshakeBudget {
  private readonly rate: TokenRate;
  private readonly bucket: TokenBucket;
  /** Host -> when it was last granted a handshake, oldest grant first. */
  private readonly granted = new Map<string, number>();
  private refused = 0;

  constructor(private readonly limits: HandshakeBudgetLimits, private readonly now: () => number = monotonicNow) {
    this.rate = { burst: Math.max(1, limits.burst), perSecond: limits.perSecond };
    this.bucket = { tokens: this.rate.burst, at: now() };
  }

  /** Handshakes refused since start. */
  get refusedCount(): number {
    return this.refused;
  }

  /** Hosts currently remembered (at most `maxHosts`). */
  get hostCount(): number {
    return this.granted.size;
  }

  /**
   * Whether `take(host)` would succeed now; spends nothing. A false answer counts as a refusal (the
   * caller closes the connection): checked at the upgrade, it spares a flood our hello and its state.
   */
  admits(host: string): boolean {
    const ok = this.allows(host, this.now());
    if (!ok) this.refused++;
    return ok;
  }

  /** Takes one handshake for `host`; false when the node is over its budget (close the connection unserved). */
  take(host: string): boolean {
    const now = this.now();
    if (!this.allows(host, now)) {
      this.refused++;
      return false;
    }
    this.bucket.tokens -= 1;
    this.granted.delete(host);
    this.granted.set(host, now);
    const cap = Math.max(1, this.limits.maxHosts);
    for (const [h, at] of this.granted) {
      if (this.granted.size <= cap && now - at < this.limits.hostIntervalMs) break;
      this.granted.delete(h);
    }
    return true;
  }

  /** Brings the bucket up to `now`; true when it holds a token `host` may have. */
  private allows(host: string, now: number): boolean {
    this.bucket.tokens = refill(this.bucket, this.rate, now);
    this.bucket.at = now;
    const last = this.granted.get(host);
    const servedLately = last !== undefined && now - last < this.limits.hostIntervalMs;
    return this.bucket.tokens >= 1 && !(servedLately && this.bucket.tokens < this.rate.burst / 2);
  }

  clear(): void {
    this.granted.clear();
    this.bucket.tokens = this.rate.burst;
    this.bucket.at = this.now();
  }
}
