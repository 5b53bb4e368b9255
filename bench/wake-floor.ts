// Diagnostics (not a figure of `npm run bench`): the CPU one wake costs a bare Node process on this
// machine, the floor under bench/gossip-wake.ts's figures for a kadchain node. Two echo servers,
// each its own process: a TCP socket (`net`) and the ws library (`ws`); one 100-byte message per
// wake, spaced so each is its own wake, the server's CPU read from /proc, its quiet background
// (same duration, no messages) removed. Relay latency in the 12-process gossip bench is bound by
// CPU per block per node; this says how much of a wake is Node's and the machine's, not kadchain's.
// Usage: node dist/bench/wake-floor.js [messages per kind, default 1000]
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { WebSocket } from 'ws';

const N = Number(process.argv[2] ?? 1000);
/** As gossip-wake: each message its own wake. */
const GAP_MS = 6;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

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

async function main(): Promise<void> {
  const msg = Buffer.alloc(100, 7);
  const net = await child('net');
  const sock = connect(net.port, '127.0.0.1');
  await once(sock, 'connect');
  const netUs = await perWake(net.proc.pid!, async () => {
    sock.write(msg);
    await once(sock, 'data');
  });
  sock.destroy();
  net.proc.disconnect();
  const ws = await child('ws');
  const client = new WebSocket(`ws://127.0.0.1:${ws.port}`, { perMessageDeflate: false });
  await once(client, 'open');
  const wsUs = await perWake(ws.proc.pid!, async () => {
    client.send(msg);
    await once(client, 'message');
  });
  client.close();
  ws.proc.disconnect();
  process.stdout.write(`${JSON.stringify({ 'wakeFloor.messages': N, 'wakeFloor.netEchoUs': netUs, 'wakeFloor.wsEchoUs': wsUs })}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exitCode = 1;
});
