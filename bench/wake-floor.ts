// Diagnostics (not a figure of `npm run bench`): the CPU one wake costs a bare Node process on this
// machine, the floor under bench/gossip-wake.ts's figures for a kadchain node. Two echo servers,
// each its own process: a TCP socket (`net`) and the ws library (`ws`); one 100-byte message per
// wake, spaced so each is its own wake, the server's CPU read from /proc, its quiet background
// (same duration, no messages) removed. Relay latency in the 12-process gossip bench is bound by
// CPU per block per node; this says how much of a wake is Node's and the machine's, not kadchain's.
// Usage: node dist/bench/wake-floor.js [messages per kind, default 1000]
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { processCpuMs } from './sync-threads.js';

const N = Number(process.argv[2] ?? 1000);
/** As gossip-wake: each message its own wake. */
const GAP_MS = 6;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU ms of `pid` so far; the diagnostic needs Linux /proc. */
const cpuMs = (pid: number): number => processCpuMs(pid) ?? Number.NaN;

/** Sends N echoes through `roundTrip`, each awaited, then measures as long a quiet spell. */
async function perWake(pid: number, roundTrip: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 50; i++) await roundTrip(); // first-use costs out of the figure
  const c0 = cpuMs(pid);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    await roundTrip();
    await sleep(GAP_MS);
  }
  const busy = cpuMs(pid) - c0;
  const q0 = cpuMs(pid);
  await sleep(performance.now() - t0);
  return Math.round(((busy - (cpuMs(pid) - q0)) / N) * 1000);
}

async function child(kind: 'net' | 'ws'): Promise<{ proc: ChildProcess; port: number }> {
  const proc = fork(new URL('./wake-floor-child.js', import.meta.url), [kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [port] = (await once(proc, 'message')) as [number];
  return { proc, port };
}

interface EchoClient {
  send: (msg: Buffer) => void;
  /** Resolves on the next echo. */
  echoed: () => Promise<unknown>;
  close: () => void;
}

/** Starts the echo child of `kind`, opens a client to it and measures its CPU per echoed message. */
async function measure(kind: 'net' | 'ws', open: (port: number) => Promise<EchoClient>): Promise<number> {
  const msg = Buffer.alloc(100, 7);
  const c = await child(kind);
  const client = await open(c.port);
  try {
    return await perWake(c.proc.pid!, async () => {
      client.send(msg);
      await client.echoed();
    });
  } finally {
    client.close();
    c.proc.disconnect();
  }
}

async function main(): Promise<void> {
  const netUs = await measure('net', async (port) => {
    const sock = connect(port, '127.0.0.1');
    await once(sock, 'connect');
    return { send: (m) => sock.write(m), echoed: () => once(sock, 'data'), close: () => sock.destroy() };
  });
  const wsUs = await measure('ws', async (port) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    await once(ws, 'open');
    return { send: (m) => ws.send(m), echoed: () => once(ws, 'message'), close: () => ws.close() };
  });
  process.stdout.write(`${JSON.stringify({ 'wakeFloor.messages': N, 'wakeFloor.netEchoUs': netUs, 'wakeFloor.wsEchoUs': wsUs })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exitCode = 1;
});
