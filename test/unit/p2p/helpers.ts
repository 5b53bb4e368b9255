// Helpers for the p2p tests: networks on 127.0.0.1 port 0, an in-memory BanStore, event waits with
// bounded timeouts (timers always cleared), a seeded PRNG, and RawPeer, a hand-driven `ws` client
// that can do the real handshake (or break it on purpose) and then send arbitrary frames.
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import {
  P2PNetwork, encodeMessage, decodeMessage, signHandshake, PROTOCOL_VERSION,
  type Peer, type P2PLimits, type P2PPenalties, type BanStore, type Message, type MessageKind, type MessageOf, type P2PEvents, type TipInfo,
} from '../../../src/p2p/index.js';
import { generateKeyPair, type KeyPair } from '../../../src/crypto/index.js';

export const GENESIS_A = new Uint8Array(32).fill(0xaa);
export const GENESIS_B = new Uint8Array(32).fill(0xbb);
export const TIP: TipInfo = { id: new Uint8Array(32).fill(1), height: 7, work: 12345n };

export interface NetOpts {
  genesis?: Uint8Array;
  key?: KeyPair;
  port?: number;
  limits?: Partial<P2PLimits>;
  penalties?: Partial<P2PPenalties>;
  banStore?: BanStore;
  tip?: TipInfo;
}

export async function startNet(o: NetOpts = {}): Promise<P2PNetwork> {
  const key = o.key ?? generateKeyPair();
  const tip = o.tip ?? TIP;
  const net = new P2PNetwork({
    secretKey: key.secretKey, genesisHash: o.genesis ?? GENESIS_A, host: '127.0.0.1', port: o.port ?? 0,
    getTip: () => tip, limits: o.limits, penalties: o.penalties, banStore: o.banStore,
  });
  await net.start();
  return net;
}

export async function stopAll(...nets: (P2PNetwork | undefined)[]): Promise<void> {
  for (const n of nets) await n?.stop();
}

/** Two started networks, A dialled B; `ab` is A's view of B and `ba` is B's view of A. */
export async function connectPair(oa: NetOpts = {}, ob: NetOpts = {}): Promise<{ a: P2PNetwork; b: P2PNetwork; ab: Peer; ba: Peer }> {
  const a = await startNet(oa);
  const b = await startNet(ob);
  const atB = nextEvent(b, 'peer:connected');
  const ab = await a.dial('127.0.0.1', b.port);
  const [ba] = await atB;
  return { a, b, ab, ba };
}

/** Collects `message` events of one network. */
export function collect(net: P2PNetwork): Message[] {
  const got: Message[] = [];
  net.on('message', (_p, m) => got.push(m));
  return got;
}

/**
 * Sends a `tip` marker from `from` over `peer` and waits for it on `to`: messages on one socket
 * arrive in order, so everything sent before the marker has been handled when this resolves.
 */
export async function flush(from: P2PNetwork, peer: Peer, to: P2PNetwork): Promise<void> {
  const id = new Uint8Array(32);
  globalThis.crypto.getRandomValues(id);
  const seen = nextEvent(to, 'message', (_p, m) => m.kind === 'tip' && Buffer.from(m.tip.id).equals(Buffer.from(id)));
  from.send(peer, { kind: 'tip', tip: { id, height: 0, work: 0n } });
  await seen;
}

export class MemoryBanStore implements BanStore {
  readonly rows = new Map<string, number>();
  async load(): Promise<{ key: string; until: number }[]> {
    return [...this.rows].map(([key, until]) => ({ key, until }));
  }
  async save(key: string, until: number): Promise<void> {
    this.rows.set(key, until);
  }
}

/** Resolves with what `fn` delivers, or rejects after `ms`; the timer is always cleared. */
export function within<T>(what: string, ms: number, fn: (resolve: (v: T) => void, reject: (e: Error) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    fn(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** Next event `name` on `net` (matching `pred`), within `ms`. */
export function nextEvent<E extends keyof P2PEvents>(net: P2PNetwork, name: E, pred: (...args: P2PEvents[E]) => boolean = () => true, ms = 20_000): Promise<P2PEvents[E]> {
  type Fn = (n: E, f: (...a: P2PEvents[E]) => void) => void;
  return within<P2PEvents[E]>(`${String(name)} event`, ms, (resolve) => {
    const on = (...args: P2PEvents[E]): void => {
      if (!pred(...args)) return;
      (net.off as Fn).call(net, name, on);
      resolve(args);
    };
    (net.on as Fn).call(net, name, on);
  });
}

/** Polls `cond` every 5 ms until true, failing after `ms`. For end states, not for timing. */
export function waitUntil(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  return within<void>(what, ms, (resolve) => {
    const check = (): void => {
      if (cond()) return resolve();
      setTimeout(check, 5).unref();
    };
    check();
  });
}

/** Seeded PRNG shared with the other tests, so fuzz runs are reproducible. */
export { prng } from '../../helpers/fixtures.js';

export function randomBytesFrom(rnd: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
}

export interface RawOpts {
  key?: KeyPair;
  genesis?: Uint8Array;
  /** Sign the proof with a different key than the one claimed. */
  forgeProof?: boolean;
  /** hello.version to claim. */
  version?: number;
  /** Do not answer the server's hello at all. */
  silent?: boolean;
  /** Answer keep-alive pings (default true). */
  autoPong?: boolean;
  /** The tip its hello claims (default TIP). */
  tip?: TipInfo;
  /** Source address to connect from (every 127/8 address is loopback on Linux: another client IP). */
  localAddress?: string;
}

/** A raw `ws` client driven by hand. */
export class RawPeer {
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  pingsReceived = 0;
  private waiters: { kind: MessageKind; pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  private nonce = 1n << 40n;

  private constructor(readonly ws: WebSocket, readonly key: KeyPair, private readonly o: RawOpts) {
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => this.onMessage(data));
  }

  static async connect(port: number, o: RawOpts = {}): Promise<RawPeer> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, localAddress: o.localAddress });
    const p = new RawPeer(ws, o.key ?? generateKeyPair(), o);
    await within<void>('raw open', 5_000, (resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return p;
  }

  /** Connects and completes the handshake; resolves once the server answered a ping (so it is ready). */
  static async ready(port: number, o: RawOpts = {}): Promise<RawPeer> {
    const p = await RawPeer.connect(port, o);
    await p.next('hello');
    if (!(await p.roundtrip())) throw new Error(`raw peer closed during the handshake: ${(await p.closed).reason}`);
    return p;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  private onMessage(data: Buffer): void {
    let m: Message;
    try {
      m = decodeMessage(new Uint8Array(data));
    } catch {
      return;
    }
    this.messages.push(m);
    if (m.kind === 'hello' && !this.o.silent) this.answerHello(m);
    if (m.kind === 'ping') {
      this.pingsReceived++;
      if (this.o.autoPong !== false) this.send({ kind: 'pong', nonce: m.nonce });
    }
    for (const w of [...this.waiters]) {
      if (w.kind === m.kind && w.pred(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  private answerHello(h: MessageOf<'hello'>): void {
    const genesis = this.o.genesis ?? GENESIS_A;
    const signer = this.o.forgeProof ? generateKeyPair() : this.key;
    const challenge = new Uint8Array(32).fill(7);
    this.send({ kind: 'hello', version: this.o.version ?? PROTOCOL_VERSION, genesis, publicKey: this.key.publicKey, listenPort: 1, challenge, tip: this.o.tip ?? TIP });
    // A raw peer dials, so it proves first (handshake.ts).
    const transcript = { version: PROTOCOL_VERSION, genesis, dialer: { challenge, publicKey: this.key.publicKey }, listener: { challenge: h.challenge, publicKey: h.publicKey } };
    this.send({ kind: 'helloAck', signature: signHandshake(transcript, 'dialer', signer.secretKey) });
  }

  send(m: Message): void {
    this.sendRaw(encodeMessage(m));
  }

  sendRaw(frame: Uint8Array | string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /** Next message of `kind` (already received ones included), within `ms`. */
  next<K extends MessageKind>(kind: K, pred: (m: MessageOf<K>) => boolean = () => true, ms = 20_000): Promise<MessageOf<K>> {
    const match = (m: Message): boolean => m.kind === kind && pred(m as unknown as MessageOf<K>);
    const have = this.messages.find(match);
    if (have) return Promise.resolve(have as unknown as MessageOf<K>);
    return within<MessageOf<K>>(`raw ${kind}`, ms, (resolve) => {
      this.waiters.push({ kind, pred: match, resolve: (m) => resolve(m as unknown as MessageOf<K>) });
    });
  }

  /**
   * Sends a ping and waits for its pong: the server handles frames in order, so on true every
   * earlier frame has been processed. False when the connection closed first.
   */
  roundtrip(ms = 5_000): Promise<boolean> {
    if (!this.isOpen) return Promise.resolve(false);
    const nonce = this.nonce++;
    return new Promise<boolean>((resolve) => {
      const waiter = { kind: 'pong' as const, pred: (m: Message) => m.kind === 'pong' && m.nonce === nonce, resolve: () => finish(true) };
      const onClose = (): void => finish(false);
      const t = setTimeout(() => finish(false), ms);
      const finish = (v: boolean): void => {
        clearTimeout(t);
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        this.ws.off('close', onClose);
        resolve(v);
      };
      this.waiters.push(waiter);
      this.ws.once('close', onClose);
      this.send({ kind: 'ping', nonce });
    });
  }

  /** Stops reading from the socket, so the server's send buffer fills up. */
  pauseReading(): void {
    (this.ws as unknown as { _socket: Socket })._socket.pause();
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
    await this.closed;
  }
}
