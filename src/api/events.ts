// The /api/events WebSocket hub: pushes block, tx, reorg and peer events as JSON text frames.
// Clients only listen: a data frame from one is closed with 1008 "listen-only", and its pings and
// pongs are held to a small budget (1008 "too-many-frames"), so frames cost no more than the rate-limited
// requests do. A client that cannot keep up (its send queue above a bound) is closed with 1008
// "slow-consumer", and one that stops answering pings is dropped, instead of growing our memory.
// Host, Origin and the per-IP caps are checked by the server before the upgrade reaches the hub.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket } from 'ws';
import type { Logger } from '../log/index.js';
import { monotonicNow, refill } from '../core/index.js';

export interface EventHubLimits {
  maxClients: number;
  /** Bytes queued for one client before it is considered a slow reader and dropped. */
  maxBufferedBytes: number;
  pingIntervalMs: number;
  /** A slow consumer that does not complete the close handshake is cut off after this long. */
  closeGraceMs: number;
}

export const DEFAULT_EVENT_LIMITS: EventHubLimits = { maxClients: 64, maxBufferedBytes: 1 << 20, pingIntervalMs: 30_000, closeGraceMs: 5000 };

/** Close code for a client dropped because its send queue passed `maxBufferedBytes` (policy violation). */
export const EVENT_CLOSE_SLOW_CONSUMER = 1008;
/** Close code for a client that sends data frames, or control frames past its budget (policy violation). */
export const EVENT_CLOSE_POLICY = 1008;
/** Pings and pongs a client may send in a burst, and per second after it (a keep-alive needs far fewer). */
const FRAME_BURST = 16;
const FRAMES_PER_SECOND = 1;


export class EventHub {
  private readonly wss: WebSocketServer;
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly frameBudget = new WeakMap<WebSocket, { tokens: number; at: number }>();
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: Logger,
    private readonly limits: EventHubLimits,
    /** First message on every connection, so a client has state before the first event. */
    private readonly hello: () => Record<string, unknown>,
  ) {
    // Inbound frames are never meaningful; a tiny maxPayload makes abuse cheap to refuse.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 4096, perMessageDeflate: false, clientTracking: true });
    this.wss.on('connection', (ws) => this.onConnection(ws));
  }

  get clientCount(): number {
    return this.wss.clients.size;
  }

  start(): void {
    if (this.pingTimer) return;
    this.pingTimer = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (this.alive.get(ws) === false) {
          ws.terminate();
          continue;
        }
        this.alive.set(ws, false);
        ws.ping();
      }
    }, this.limits.pingIntervalMs);
    this.pingTimer.unref();
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.wss.clients.size >= this.limits.maxClients) {
      const body = '{"error":"too many event clients","reason":"too-many-clients"}';
      socket.once('finish', () => socket.destroy());
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
  }

  private onConnection(ws: WebSocket): void {
    this.alive.set(ws, true);
    ws.on('pong', () => {
      this.alive.set(ws, true);
      this.spendFrame(ws);
    });
    ws.on('message', () => this.drop(ws, EVENT_CLOSE_POLICY, 'listen-only'));
    ws.on('ping', () => this.spendFrame(ws));
    ws.on('error', (e) => this.log.debug('event client error', { err: e.message }));
    try {
      this.sendTo(ws, JSON.stringify(this.hello()));
    } catch (e) {
      this.log.warn('could not build hello event', { err: String(e) });
    }
  }

  private sendTo(ws: WebSocket, text: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > this.limits.maxBufferedBytes) {
      // The queue is bounded: stop sending, say why (a slow reader may still get the close frame),
      // and cut the connection if the close handshake does not finish soon.
      this.drop(ws, EVENT_CLOSE_SLOW_CONSUMER, 'slow-consumer');
      return;
    }
    ws.send(text);
  }

  /** A control frame from the client (ws answers pings by itself): past the budget, the client is dropped. */
  private spendFrame(ws: WebSocket): void {
    const now = monotonicNow();
    const b = this.frameBudget.get(ws) ?? { tokens: FRAME_BURST, at: now };
    b.tokens = refill(b, { burst: FRAME_BURST, perSecond: FRAMES_PER_SECOND }, now) - 1;
    b.at = now;
    this.frameBudget.set(ws, b);
    if (b.tokens < 0) this.drop(ws, EVENT_CLOSE_POLICY, 'too-many-frames');
  }

  /** Closes with a reason (a slow reader may still get the close frame); cut off if the handshake does not finish soon. */
  private drop(ws: WebSocket, code: number, reason: string): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    this.log.debug('dropping event client', { reason, buffered: ws.bufferedAmount });
    ws.close(code, reason);
    setTimeout(() => ws.terminate(), this.limits.closeGraceMs).unref();
  }

  /** Sends `{type, data, ...data}` to every client: flat for convenience, `data` for generic code. */
  broadcast(type: string, data: object): void {
    if (this.wss.clients.size === 0) return;
    const text = JSON.stringify({ ...data, type, data });
    for (const ws of this.wss.clients) this.sendTo(ws, text);
  }

  /** Has clients at all (lets callers skip building payloads nobody reads). */
  get active(): boolean {
    return this.wss.clients.size > 0;
  }

  /** Closes every client connection and stops pinging. */
  async close(): Promise<void> {
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    for (const ws of this.wss.clients) {
      // 1001 "going away": the node is shutting down; terminate guarantees the socket is gone.
      try {
        ws.close(1001, 'server stopping');
      } catch {
        /* already closing */
      }
      ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
