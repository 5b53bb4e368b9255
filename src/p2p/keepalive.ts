// Keep-alive and liveness: one timer walks the ready peers, pings them every `pingIntervalMs`,
// probes one whose id a second connection claims, drops the silent (idle timeout, or no answer to
// a probe) and the slow readers (send buffer above the bound for too long),
// and lets the request tracker expire overdue requests. Pongs measure latency.
import { randomBytes } from 'node:crypto';
import type { NetContext } from './config.js';
import { monotonicNow } from '../core/index.js';
import { encodeMessage } from './messages.js';
import type { Peer } from './peer.js';
import type { RequestTracker } from './requests.js';

export class KeepAlive {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: NetContext, private readonly requests: RequestTracker) {}

  start(): void {
    if (this.timer) return;
    const l = this.ctx.limits;
    const tickMs = Math.max(10, Math.min(1_000, Math.floor(Math.min(l.pingIntervalMs, l.idleTimeoutMs, l.slowReaderMs, l.requestTimeoutMs) / 4)));
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  onPing(peer: Peer, nonce: bigint): void {
    this.ctx.write(peer, encodeMessage({ kind: 'pong', nonce }));
  }

  onPong(peer: Peer, nonce: bigint, now: number): void {
    if (peer.ping && peer.ping.nonce === nonce) {
      peer.latencyMs = now - peer.ping.at;
      peer.ping = undefined;
      peer.probe = undefined;
    }
  }

  /**
   * Another connection claims this ready peer's id (a reconnect from a new address, say, while this
   * socket died without a FIN): ping it now, and drop it unless it is heard from (its pong or any
   * frame) within the handshake timeout, so the newcomer's next try gets in instead of waiting out the idle timeout. One probe
   * at a time, so repeated claims cost one ping.
   */
  probe(peer: Peer, now: number): void {
    if (!peer.ready || peer.dropped || peer.probe) return;
    peer.probe = { sentAt: now, by: now + this.ctx.limits.handshakeTimeoutMs };
    this.ping(peer, now);
  }

  private ping(peer: Peer, now: number): void {
    peer.lastPingAt = now;
    const nonce = randomBytes(8).readBigUInt64BE();
    peer.ping = { nonce, at: now };
    this.ctx.write(peer, encodeMessage({ kind: 'ping', nonce }));
  }

  private tick(): void {
    const now = monotonicNow(); // durations: a wall-clock step must not drop every peer or none
    const l = this.ctx.limits;
    for (const peer of [...this.ctx.conns]) {
      if (!peer.ready || peer.dropped) continue;
      // Any frame since the probe proves the socket alive: a busy peer's pong may queue behind its blocks.
      if (peer.probe && peer.lastSeen >= peer.probe.sentAt) peer.probe = undefined;
      if (now - peer.lastSeen >= l.idleTimeoutMs || (peer.probe && now >= peer.probe.by)) {
        this.ctx.disconnect(peer, 'idle-timeout');
        continue;
      }
      if (peer.ws.bufferedAmount > l.maxBufferedBytes) {
        peer.slowSince ??= now;
        if (now - peer.slowSince >= l.slowReaderMs) {
          this.ctx.disconnect(peer, 'slow-reader');
          continue;
        }
      } else peer.slowSince = undefined;
      // A regular ping never replaces a probe's, which must be answered.
      if (now - peer.lastPingAt >= l.pingIntervalMs && !peer.probe) this.ping(peer, now);
      this.requests.expire(peer, now);
    }
  }
}
