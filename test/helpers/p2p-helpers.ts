// Helpers for p2p tests: networks on 127.0.0.1 port 0, and a raw ws client that can handshake.
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { P2PNetwork, encodeMessage, decodeMessage, type P2PLimits, type BanStore, type Message } from '../../src/p2p/index.js';
import { generateKeyPair, signMessage, type KeyPair } from '../../src/crypto/index.js';

export const GENESIS_A = new Uint8Array(32).fill(0xaa);
export const GENESIS_B = new Uint8Array(32).fill(0xbb);

export async function startNet(opts: { genesis?: Uint8Array; key?: KeyPair; limits?: Partial<P2PLimits>; banStore?: BanStore } = {}): Promise<P2PNetwork> {
  const key = opts.key ?? generateKeyPair();
  const net = new P2PNetwork({
    secretKey: key.secretKey, genesis: opts.genesis ?? GENESIS_A, host: '127.0.0.1', port: 0,
    getTip: () => ({ id: new Uint8Array(32), height: 0, work: 1n }), limits: opts.limits, banStore: opts.banStore,
  });
  await net.start();
  return net;
}

export class MemoryBanStore implements BanStore {
  readonly rows = new Map<string, number>();
  async load() {
    return [...this.rows].map(([key, until]) => ({ key, until }));
  }
  async save(key: string, until: number) {
    this.rows.set(key, until);
  }
}

export function waitFor<T>(what: string, fn: (resolve: (v: T) => void) => void, ms = 10_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    fn((v) => { clearTimeout(t); resolve(v); });
  });
}

const HS_DOMAIN = new TextEncoder().encode('kadchain-handshake-v1');

/** A hand-driven client: completes the real handshake (optionally with a forged proof). */
export async function rawClient(port: number, opts: { key?: KeyPair; genesis?: Uint8Array; forgeProof?: boolean } = {}): Promise<{ ws: WebSocket; closed: Promise<string>; ready: Promise<void> }> {
  const key = opts.key ?? generateKeyPair();
  const genesis = opts.genesis ?? GENESIS_A;
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
  const closed = new Promise<string>((resolve) => ws.once('close', (_c, reason) => resolve(reason.toString())));
  ws.on('error', () => {});
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => (readyResolve = r));
  ws.on('message', (data: Buffer) => {
    let m: Message;
    try { m = decodeMessage(new Uint8Array(data)); } catch { return; }
    if (m.kind === 'hello') {
      const proof = new Uint8Array(HS_DOMAIN.length + 96);
      proof.set(HS_DOMAIN, 0);
      proof.set(m.challenge, HS_DOMAIN.length);
      proof.set(genesis, HS_DOMAIN.length + 32);
      proof.set(key.publicKey, HS_DOMAIN.length + 64);
      const signature = opts.forgeProof ? signMessage(proof, generateKeyPair().secretKey) : signMessage(proof, key.secretKey);
      ws.send(encodeMessage({ kind: 'hello', version: 1, genesis, publicKey: key.publicKey, listenPort: 1, challenge: new Uint8Array(32).fill(7), tip: { id: new Uint8Array(32), height: 0, work: 1n } }));
      ws.send(encodeMessage({ kind: 'helloAck', signature }));
      setTimeout(readyResolve, 100);
    }
  });
  await once(ws, 'open');
  return { ws, closed, ready };
}
