// A scripted peer for sync tests: it speaks the real wire protocol (p2p codec, signed handshake)
// from a `ws` client, claims whatever tip it is told to, and answers getheaders / getdata from a
// list of blocks it holds, through a script that can lie: withhold, delay, send headers that do
// not connect, flood. Every timer it starts is cleared on close.
import { WebSocket } from 'ws';
import { encodeMessage, decodeMessage, signHandshake, PROTOCOL_VERSION, MAX_HEADERS_PER_MSG, type Message, type MessageKind, type MessageOf, type TipInfo } from '../../src/p2p/index.js';
import { blockId, encodeBlock, encodeHeader, workForTarget, type Block } from '../../src/core/index.js';
import { generateKeyPair, toHex, type KeyPair } from '../../src/crypto/index.js';

export interface Script {
  /** Reply to a getheaders (default: headers after the locator from `blocks`). */
  getheaders?: (p: ScriptedPeer, m: MessageOf<'getheaders'>) => void;
  /** Reply to a getdata (default: the blocks asked for, notfound for the rest). */
  getdata?: (p: ScriptedPeer, m: MessageOf<'getdata'>) => void;
}

export interface ScriptedOpts {
  genesis: Uint8Array;
  /** Blocks it holds, oldest first (children of genesis onwards). */
  blocks?: Block[];
  /** The tip it claims in its hello (default: the last of `blocks`, with its true work). */
  tip?: TipInfo;
  script?: Script;
  key?: KeyPair;
}

export class ScriptedPeer {
  readonly received: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly blocks: Block[];
  private readonly byId = new Map<string, number>();
  private readonly frames = new Map<number, Uint8Array>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: { pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];

  private constructor(readonly ws: WebSocket, readonly key: KeyPair, private readonly o: ScriptedOpts) {
    this.blocks = o.blocks ?? [];
    this.blocks.forEach((b, i) => this.byId.set(toHex(blockId(b)), i));
    this.closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => {});
    ws.on('message', (data: Buffer) => this.onFrame(data));
    ws.once('close', () => this.clearTimers());
  }

  /** Connects to a node's p2p port and completes the handshake. */
  static async connect(port: number, o: ScriptedOpts): Promise<ScriptedPeer> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    const p = new ScriptedPeer(ws, o.key ?? generateKeyPair(), o);
    await p.next('hello', () => true, 5_000);
    // The node's first ping answer proves it is ready (frames are handled in order).
    p.send({ kind: 'ping', nonce: 99n });
    await p.next('pong', (m) => m.kind === 'pong' && m.nonce === 99n, 5_000);
    return p;
  }

  /** The tip our blocks prove (id, height, cumulative work above genesis). */
  static tipOf(genesis: Uint8Array, genesisWork: bigint, blocks: Block[]): TipInfo {
    if (!blocks.length) return { id: genesis, height: 0, work: genesisWork };
    const work = blocks.reduce((s, b) => s + workForTarget(b.header.target), genesisWork);
    const last = blocks[blocks.length - 1]!;
    return { id: blockId(last), height: last.header.height, work };
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(m: Message): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeMessage(m));
  }

  /** Runs `fn` after `ms` unless the peer closed first. */
  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Default answer: headers after the first locator id we hold (from the start when none). */
  answerHeaders(m: MessageOf<'getheaders'>): void {
    let start = 0;
    for (const id of m.locator) {
      const i = this.byId.get(toHex(id));
      if (i !== undefined) {
        start = i + 1;
        break;
      }
    }
    const headers = this.blocks.slice(start, start + MAX_HEADERS_PER_MSG).map((b) => encodeHeader(b.header));
    this.send({ kind: 'headers', headers });
  }

  /** Default answer: every block we hold, notfound for the rest. */
  answerData(m: MessageOf<'getdata'>): void {
    const missing = [];
    for (const it of m.items) {
      const i = this.byId.get(toHex(it.id));
      if (it.type === 'block' && i !== undefined) this.sendFrame(this.blockFrame(i));
      else missing.push(it);
    }
    if (missing.length) this.send({ kind: 'notfound', items: missing });
  }

  /** Sends an already encoded message (ws copies it to mask it, so a frame can be sent again). */
  sendFrame(frame: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /**
   * The `block` message for blocks[i], encoded once: in a bench this peer runs in the syncing
   * node's process, so its encoding would be charged to the node under test.
   */
  blockFrame(i: number): Uint8Array {
    let f = this.frames.get(i);
    if (!f) this.frames.set(i, (f = encodeMessage({ kind: 'block', bytes: encodeBlock(this.blocks[i]!) })));
    return f;
  }

  /** Next received message of `kind` (already received ones included). */
  next<K extends MessageKind>(kind: K, pred: (m: Message) => boolean = () => true, ms = 10_000): Promise<MessageOf<K>> {
    const match = (m: Message): boolean => m.kind === kind && pred(m);
    const have = this.received.find(match);
    if (have) return Promise.resolve(have as unknown as MessageOf<K>);
    return new Promise<MessageOf<K>>((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`scripted peer: no ${kind} within ${ms} ms`));
      }, ms);
      const waiter = { pred: match, resolve: (m: Message) => (clearTimeout(t), resolve(m as unknown as MessageOf<K>)) };
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    this.clearTimers();
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.terminate();
    await this.closed;
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private onFrame(data: Buffer): void {
    let m: Message;
    try {
      m = decodeMessage(new Uint8Array(data));
    } catch {
      return;
    }
    this.received.push(m);
    if (this.received.length > 10_000) this.received.splice(0, 5_000);
    switch (m.kind) {
      case 'hello': {
        const tip = this.o.tip ?? { id: this.o.genesis, height: 0, work: 0n };
        const challenge = new Uint8Array(32).fill(9);
        this.send({ kind: 'hello', version: PROTOCOL_VERSION, genesis: this.o.genesis, publicKey: this.key.publicKey, listenPort: 1, challenge, tip });
        // It dials, so it proves first over the transcript of both hellos (src/p2p/handshake.ts).
        const transcript = { version: PROTOCOL_VERSION, genesis: this.o.genesis, dialer: { challenge, publicKey: this.key.publicKey }, listener: { challenge: m.challenge, publicKey: m.publicKey } };
        this.send({ kind: 'helloAck', signature: signHandshake(transcript, 'dialer', this.key.secretKey) });
        break;
      }
      case 'ping':
        this.send({ kind: 'pong', nonce: m.nonce });
        break;
      case 'getheaders':
        (this.o.script?.getheaders ?? ((p, x) => p.answerHeaders(x)))(this, m);
        break;
      case 'getdata':
        (this.o.script?.getdata ?? ((p, x) => p.answerData(x)))(this, m);
        break;
      default:
        break;
    }
    for (const w of [...this.waiters]) {
      if (w.pred(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }
}
