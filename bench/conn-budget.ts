// Connection budgets (issue 15): what 2,000 silent TCP sockets cost the listener (peak RSS growth
// of a P2PNetwork, against a plain HTTP server without budgets, the listener before issue 15, each
// in its own process), and how long an honest handshake takes while another process holds 40 silent
// WebSockets and reopens them as they close (against the same handshake on an idle listener).
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateKeyPair } from '../src/crypto/index.js';
import { P2PNetwork, SILENT_SOCKETS_RSS_BOUND } from '../src/p2p/index.js';
import { lineChild, type LineChild } from './line-child.js';

const CHILD = fileURLToPath(new URL('./conn-budget-child.js', import.meta.url));
const SOCKETS = SILENT_SOCKETS_RSS_BOUND.sockets;
const HONEST_DIALS = 20;

function child(args: string[]): LineChild {
  return lineChild(CHILD, args, args[0] ?? 'conn-budget');
}

async function rssUnderSilentSockets(role: 'server-p2p' | 'server-http'): Promise<number> {
  const server = child([role]);
  let attacker: ChildProcess | undefined;
  try {
    const { port } = await server.next();
    const a = child(['attack', String(port), String(SOCKETS)]);
    attacker = a.proc;
    await a.next();
    server.proc.stdin!.write('report\n');
    return (await server.next()).rssGrowth!;
  } finally {
    attacker?.stdin?.end();
    attacker?.kill();
    server.proc.kill();
  }
}

/**
 * Median time for an honest peer to get connected, retrying a refused dial as a peer manager
 * would (the time includes the refusals), within 5 s per peer; also how many dials were refused.
 */
async function medianDialMs(port: number): Promise<{ ms: number; refused: number }> {
  const times: number[] = [];
  let refused = 0;
  for (let i = 0; i < HONEST_DIALS; i++) {
    const client = new P2PNetwork({ secretKey: generateKeyPair().secretKey, genesisHash: new Uint8Array(32).fill(2), host: '127.0.0.1', port: 0, getTip: () => ({ id: new Uint8Array(32), height: 0, work: 0n }) });
    await client.start();
    try {
      const t0 = performance.now();
      for (let attempt = 0; ; attempt++) {
        try {
          await client.dial('127.0.0.1', port);
          break;
        } catch (e) {
          refused++;
          if (performance.now() - t0 > 5_000 || attempt >= 100) throw e;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      times.push(performance.now() - t0);
    } finally {
      await client.stop();
    }
  }
  times.sort((x, y) => x - y);
  return { ms: times[Math.floor(times.length / 2)]!, refused };
}

async function honestDial(): Promise<{ idle: number; attacked: number; refusedUnderHogging: number }> {
  const server = new P2PNetwork({ secretKey: generateKeyPair().secretKey, genesisHash: new Uint8Array(32).fill(2), host: '127.0.0.1', port: 0, getTip: () => ({ id: new Uint8Array(32), height: 0, work: 0n }) });
  await server.start();
  let hogger: ChildProcess | undefined;
  try {
    const idle = await medianDialMs(server.port);
    const h = child(['hog', String(server.port), '40']);
    hogger = h.proc;
    await h.next();
    const attacked = await medianDialMs(server.port);
    return { idle: idle.ms, attacked: attacked.ms, refusedUnderHogging: attacked.refused };
  } finally {
    hogger?.stdin?.end();
    hogger?.kill();
    await server.stop();
  }
}

export async function benchConnBudget(): Promise<Record<string, number>> {
  const p2p = await rssUnderSilentSockets('server-p2p');
  const bare = await rssUnderSilentSockets('server-http');
  const dial = await honestDial();
  const mib = (b: number): number => Math.round((b / 2 ** 20) * 10) / 10;
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    'connBudget.silentSockets': SOCKETS,
    'connBudget.rssGrowthMiB': mib(p2p),
    'connBudget.rssGrowthBoundMiB': mib(SILENT_SOCKETS_RSS_BOUND.bytes),
    'connBudget.refNoBudgetRssGrowthMiB': mib(bare),
    'connBudget.rssVsNoBudget': r2(p2p / Math.max(1, bare)),
    'connBudget.honestDialIdleMs': r2(dial.idle),
    'connBudget.honestDialUnderHoggingMs': r2(dial.attacked),
    'connBudget.dialSlowdownUnderHogging': r2(dial.attacked / Math.max(0.001, dial.idle)),
    'connBudget.honestDialsRefusedUnderHogging': dial.refusedUnderHogging,
  };
}
