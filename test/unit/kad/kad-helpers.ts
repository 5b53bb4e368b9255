// Helpers for discovery tests: a scripted peer (a raw UDP socket that speaks the packet format with
// any key, for attacks), free-port reservation and event-driven waits.
import { createSocket, type Socket } from 'node:dgram';
import { KadNode, decodePacket, encodePacket, type Body, type DecodedPacket, type KadOptions, type SimNetwork } from '../../../src/kad/index.js';
import { keyPairFromSecret, sha256, type KeyPair } from '../../../src/crypto/index.js';

export const kadKey = (label: string): KeyPair => keyPairFromSecret(sha256(new TextEncoder().encode('kad-test:' + label)));

/** A node on the simulated network, no background timers and no join unless `opts` says so. */
export function simNode(net: SimNetwork, host: string, label: string, port = 30420, opts: Partial<KadOptions> = {}): KadNode {
  return new KadNode({
    secretKey: kadKey(label).secretKey, transport: net.transport(host, port), clock: net.clock, random: () => net.random(),
    maintenance: false, autoJoin: false, ...opts,
  });
}

export class ScriptedPeer {
  readonly got: { p: DecodedPacket; host: string; port: number }[] = [];
  onPacket: ((p: DecodedPacket, host: string, port: number) => void) | undefined;
  /** Request ids count up (deterministic; distinct per packet). */
  private nextRequestId = 1n;
  private constructor(readonly socket: Socket, readonly port: number, public key: KeyPair) {
    socket.on('message', (msg, r) => {
      const p = decodePacket(new Uint8Array(msg), Date.now());
      if (typeof p === 'string') return;
      this.got.push({ p, host: r.address, port: r.port });
      this.onPacket?.(p, r.address, r.port);
    });
  }
  static async bind(key: KeyPair, host = '127.0.0.1'): Promise<ScriptedPeer> {
    const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((r) => s.bind(0, host, () => r()));
    return new ScriptedPeer(s, s.address().port, key);
  }
  send(port: number, body: Body, requestId = this.nextRequestId++, key = this.key, host = '127.0.0.1'): void {
    this.socket.send(encodePacket({ requestId, expiry: Date.now() + 20_000, body }, key.secretKey, key.publicKey), port, host);
  }
  /** Answers PINGs (PONG, verified) so a node bonds with us. */
  answerPings(): void {
    const prev = this.onPacket;
    this.onPacket = (p, host, port) => {
      if (p.body.type === 'ping') this.send(port, { type: 'pong', verified: true }, p.requestId, this.key, host);
      prev?.(p, host, port);
    };
  }
  close(): void {
    this.socket.close();
  }
}

/** A UDP port that was free a moment ago (for a node that starts later but is named as bootstrap now). */
export async function reservePort(host = '127.0.0.1'): Promise<number> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Polls `cond` (generous bound; polling, not a fixed sleep). */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000, every = 25): Promise<void> {
  const end = performance.now() + ms; // monotonic: tests that step Date.now() keep their bounds
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
