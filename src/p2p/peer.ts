// One connected WebSocket peer: identity after the handshake, what it is known to have (LRU),
// its score, its message-rate bucket and liveness.
import type { WebSocket } from 'ws';
import { toHex } from '../crypto/index.js';
import { encodeMessage, type Message, type TipInfo } from './messages.js';

/** Bounded insertion-ordered set: old ids fall out first. */
export class LruSet {
  private readonly items = new Set<string>();
  constructor(private readonly max: number) {}
  has(k: string): boolean {
    return this.items.has(k);
  }
  add(k: string): void {
    this.items.delete(k);
    this.items.add(k);
    if (this.items.size > this.max) this.items.delete(this.items.values().next().value!);
  }
  get size(): number {
    return this.items.size;
  }
}

export type Direction = 'inbound' | 'outbound';

export interface PeerInfo {
  id: string;
  host: string;
  port: number;
  direction: Direction;
  height: number;
  work: string;
  score: number;
  connectedAt: number;
}

export class Peer {
  id = '';
  publicKey: Uint8Array | undefined;
  listenPort = 0;
  tip: TipInfo | undefined;
  score = 0;
  ready = false;
  connectedAt = Date.now();
  lastSeen = Date.now();
  /** Ids this peer has announced or been sent: never send it the same body twice. */
  readonly known = new LruSet(20_000);
  /** Our getdata requests not yet answered. */
  readonly inflight = new Set<string>();
  readonly challenge: Uint8Array;
  private tokens: number;
  private lastRefill = Date.now();

  constructor(
    readonly ws: WebSocket,
    readonly host: string,
    readonly direction: Direction,
    challenge: Uint8Array,
    private readonly rate: { perSecond: number; burst: number },
  ) {
    this.challenge = challenge;
    this.tokens = rate.burst;
  }

  get key(): string {
    return `${this.host}:${this.listenPort}`;
  }

  /** Token bucket: false when the peer sends faster than allowed. */
  takeToken(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.rate.perSecond);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  send(m: Message): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(encodeMessage(m));
  }

  info(): PeerInfo {
    return {
      id: this.id, host: this.host, port: this.listenPort, direction: this.direction, height: this.tip?.height ?? 0,
      work: (this.tip?.work ?? 0n).toString(), score: this.score, connectedAt: this.connectedAt,
    };
  }

  markKnown(id: Uint8Array | string): void {
    this.known.add(typeof id === 'string' ? id : toHex(id));
  }
  knows(id: Uint8Array | string): boolean {
    return this.known.has(typeof id === 'string' ? id : toHex(id));
  }
}
