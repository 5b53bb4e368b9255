// The inbound connect rate: one source reconnecting in a loop (connect, full handshake, close, a
// fresh key each time), against a listener in its own process with the per-source connect rate on
// (loopback standing in for a public source, the default budget) and, as the reference in the same
// run, with it off. Reports how many handshakes each listener served and its CPU per attempt.
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { generateKeyPair } from '../src/crypto/index.js';
import { PROTOCOL_VERSION, decodeMessage, encodeMessage, signHandshake, type Message } from '../src/p2p/index.js';
import { lineChild, type LineChild } from './line-child.js';

const CHILD = fileURLToPath(new URL('./conn-rate-child.js', import.meta.url));
const ATTEMPTS = 300;
const GENESIS = new Uint8Array(32).fill(1);

export type ListenerMode = 'limited' | 'unlimited' | 'global';

function child(mode: ListenerMode): LineChild {
  // BENCH_PROFILE_DIR=D profiles each listener (node --cpu-prof) into D, for a diagnostic run.
  const prof = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR, '--cpu-prof-name', `conn-rate-${mode}.cpuprofile`] : [];
  return lineChild(CHILD, [mode], mode, prof);
}

/** One attempt as a reconnecting attacker makes it (from `localAddress`): true when the listener proved its key (a full handshake). */
export function attempt(port: number, localAddress?: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const key = generateKeyPair();
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, localAddress });
    let proved = false;
    const t = setTimeout(() => ws.terminate(), 10_000);
    ws.on('error', () => {});
    ws.on('close', () => {
      clearTimeout(t);
      resolve(proved);
    });
    ws.on('message', (data: Buffer) => {
      let m: Message;
      try {
        m = decodeMessage(new Uint8Array(data));
      } catch {
        return void ws.terminate();
      }
      if (m.kind === 'hello') {
        const challenge = new Uint8Array(32).fill(7);
        ws.send(encodeMessage({ kind: 'hello', version: PROTOCOL_VERSION, genesis: GENESIS, publicKey: key.publicKey, listenPort: 1, challenge, tip: { id: new Uint8Array(32), height: 0, work: 0n } }));
        const transcript = { version: PROTOCOL_VERSION, genesis: GENESIS, dialer: { challenge, publicKey: key.publicKey }, listener: { challenge: m.challenge, publicKey: m.publicKey } };
        ws.send(encodeMessage({ kind: 'helloAck', signature: signHandshake(transcript, 'dialer', key.secretKey) }));
      } else if (m.kind === 'helloAck') {
        proved = true;
        ws.terminate();
      }
    });
  });
}

export interface ListenerRun {
  cpuUs: number;
  handshakes: number;
  proved: number;
  throttled: number;
  busy: number;
  wallMs: number;
}

/** Runs `attack` (it returns how many attempts the listener proved its key on) against a listener child in `mode`. */
export async function againstListener(mode: ListenerMode, attack: (port: number) => Promise<number>): Promise<ListenerRun> {
  const server = child(mode);
  try {
    const { port } = await server.next();
    server.proc.stdin!.write('start\n');
    await server.next();
    const started = performance.now();
    const proved = await attack(port!);
    const wallMs = performance.now() - started;
    server.proc.stdin!.write('report\n');
    const r = await server.next();
    // Let it exit by itself (a profile is written at exit), within bounds.
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5_000);
      server.proc.once('exit', () => (clearTimeout(t), resolve()));
    });
    return { cpuUs: r.cpuUs!, handshakes: r.handshakes!, proved, throttled: r.throttled!, busy: r.busy!, wallMs };
  } finally {
    if (server.proc.exitCode === null) server.proc.kill();
  }
}

export async function benchConnRate(): Promise<Record<string, unknown>> {
  const loop = async (port: number): Promise<number> => {
    let proved = 0;
    for (let i = 0; i < ATTEMPTS; i++) if (await attempt(port)) proved++;
    return proved;
  };
  const off = await againstListener('unlimited', loop);
  const on = await againstListener('limited', loop);
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    'connRate.attempts': ATTEMPTS,
    'connRate.refUnlimitedHandshakes': off.proved,
    'connRate.handshakes': on.proved,
    'connRate.throttled': on.throttled,
    'connRate.refUnlimitedListenerCpuUsPerAttempt': r2(off.cpuUs / ATTEMPTS),
    'connRate.listenerCpuUsPerAttempt': r2(on.cpuUs / ATTEMPTS),
    'connRate.cpuPerAttemptVsUnlimited': r2(on.cpuUs / Math.max(1, off.cpuUs)),
  };
}
