// A timeline of the four-peer sync (bench/sync.ts fourPeers, same setup): for every block, who it
// was asked of and when, when its body arrived and from whom, and when it connected; how long the
// window's head waited and on whom; CPU of this process and the time the in-process slow peer spent
// answering. A diagnostic for the scheduler, not a bench figure.
// SYNC_TRACE_PROF=<dir> also writes a CPU profile of each serving process over the sync alone
// (F0.cpuprofile ...; not their start-up), and of this process's main thread (syncing.cpuprofile).
// A mass deoptimisation mid-sync (compiles on the V8 platform threads, seen as perf's compile share)
// shows with `node --trace-protector-invalidation`: the first ArrayBuffer detached in a process
// (a postMessage transfer list) invalidates ArrayBufferDetaching and every optimised function with it.
// Usage: node dist/bench/sync-four-trace.js
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { nodeIdFromPublicKey, toHex } from '../src/crypto/index.js';
import { testNet, waitUntil } from '../test/helpers/node-helpers.js';
import { ScriptedPeer } from '../test/helpers/scripted-peer.js';
import { ChildNode, stopChildren } from './child-nodes.js';
import type { ChildReport } from './node-child.js';
import { alloc, prebuilt, startServingCopies, SLOW_FACTOR } from './sync.js';
import { perfRecord, threadCpu, threadLine } from './sync-threads.js';

const isProfiled = (r: ChildReport): r is Extract<ChildReport, { type: 'profiled' }> => r.type === 'profiled';

interface Ev { h: number; asked: { peer: string; at: number }[]; arrived?: { peer: string; at: number }; connected?: number }

const net = testNet(alloc());
const fast: ChildNode[] = [];
try {
  const { dir, blocks, tip, tipWork } = await prebuilt(net);
  const profDir = process.env.SYNC_TRACE_PROF;
  fast.push(...(await startServingCopies(net, dir.path, 3, profDir)));
  const b = await net.start();
  let slowMs = 0;
  let slowId = '';
  const name = (id: string): string => (id === slowId ? 'SLOW' : `F${fast.findIndex((f) => f.nodeId === id)}`);
  const slow = await ScriptedPeer.connect(b.port, {
    genesis: net.genesis.id, blocks, tip: tipWork,
    script: {
      getdata: (s, m) => {
        const loads = [...b.sync.window.loads.entries()].filter(([p]) => p.id !== slowId).map(([, l]) => l.ewmaMs);
        const mean = loads.length ? loads.reduce((x, y) => x + y, 0) / loads.length : 20;
        s.later(Math.max(20, mean) * SLOW_FACTOR, () => {
          const t = performance.now();
          s.answerData(m);
          slowMs += performance.now() - t;
        });
      },
    },
  });
  slowId = toHex(nodeIdFromPublicKey(slow.key.publicKey));
  const evs = new Map<string, Ev>();
  const t0 = performance.now();
  const rel = (): number => Math.round(performance.now() - t0);
  const w = b.sync.window as unknown as Record<string, (...a: unknown[]) => unknown>;
  const send = w.send!.bind(w);
  w.send = (node: unknown, peer: unknown, tried: unknown, re: unknown, ...rest: unknown[]) => {
    const ok = send(node, peer, tried, re, ...rest);
    const n = node as { idHex: string; height: number };
    if (ok) {
      const e = evs.get(n.idHex) ?? { h: n.height, asked: [] };
      e.asked.push({ peer: name((peer as { id: string }).id) + (re ? '*' : ''), at: rel() });
      evs.set(n.idHex, e);
    }
    return ok;
  };
  const arrived = w.arrived!.bind(w);
  w.arrived = (idHex: unknown, peer: unknown, block: unknown, ...rest: unknown[]) => {
    const ok = arrived(idHex, peer, block, ...rest);
    const e = evs.get(idHex as string);
    if (ok && e) e.arrived = { peer: name((peer as { id: string }).id), at: rel() };
    return ok;
  };
  b.chain.on('block', (ev) => {
    const e = evs.get(ev.id);
    if (e) e.connected = rel();
  });
  // SYNC_TRACE_PERF=<file> (SYNC_TRACE_PERF_G=1: with call graphs): perf over the sync, every
  // thread of this process and the serving ones (see perfRecord).
  const perfOut = process.env.SYNC_TRACE_PERF;
  const stopPerf = perfOut ? await perfRecord([process.pid, ...fast.map((f) => f.pid)], perfOut, !!process.env.SYNC_TRACE_PERF_G) : undefined;
  const session = new Session();
  if (profDir) {
    await Promise.all(fast.map((f) => f.request({ cmd: 'prof-start' }, isProfiled)));
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 500 });
    await session.post('Profiler.start');
  }
  const cpu0 = process.cpuUsage();
  const threads0 = threadCpu('self');
  const childThreads0 = fast.map((f) => threadCpu(f.pid));
  await Promise.all(fast.map((f) => b.net.dial('127.0.0.1', f.port)));
  try {
    await waitUntil('trace sync', () => b.chain.tip.idHex === tip, 60_000, 10);
  } catch (e) {
    const w2 = b.sync.window as unknown as { inflight: Map<string, { node: { height: number }; peer: { id: string }; at: number }>; moved: Map<string, unknown>; connectMs: number };
    process.stdout.write(`STUCK at height ${b.chain.tip.height}, best header ${b.sync.tree.bestHeight}, connectMs ${w2.connectMs}\n`);
    for (const r of w2.inflight.values()) process.stdout.write(`  inflight h${r.node.height} ${name(r.peer.id)} age ${Math.round(Date.now() - r.at)}\n`);
    for (const [p, l] of b.sync.window.loads) process.stdout.write(`  ${name(p.id)} ${JSON.stringify(l)} depth ${p.inflightCount('block')} connected ${p.connected}\n`);
    process.stdout.write(`  progress ${JSON.stringify(b.sync.progress())}\n`);
    throw e;
  }
  const secs = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await stopPerf?.();
  if (profDir) {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    writeFileSync(join(profDir, 'syncing.cpuprofile'), JSON.stringify(profile));
    await Promise.all(fast.map((f, i) => f.request({ cmd: 'prof-stop', name: `F${i}` }, isProfiled)));
  }
  const threads1 = threadCpu('self');
  const childThreads1 = fast.map((f) => threadCpu(f.pid));
  const list = [...evs.values()].sort((x, y) => x.h - y.h);
  let prevConn = 0;
  let headWait = 0;
  for (const e of list) {
    // The head waited on this block if it arrived after the previous one connected.
    const wait = e.arrived && e.arrived.at > prevConn ? e.arrived.at - prevConn : 0;
    headWait += wait;
    process.stdout.write(`h${e.h}\tasked ${e.asked.map((a) => `${a.peer}@${a.at}`).join(',')}\tgot ${e.arrived?.peer}@${e.arrived?.at}\tconn @${e.connected}\thead waited ${wait}\n`);
    prevConn = e.connected ?? prevConn;
  }
  const txs = blocks.length * 200;
  process.stdout.write(`syncing threads (us/tx): ${threadLine(process.pid, threads0, threads1, txs)}\n`);
  fast.forEach((f, i) => process.stdout.write(`F${i} threads (us/tx): ${threadLine(f.pid, childThreads0[i]!, childThreads1[i]!, txs)}\n`));
  const served = b.sync.servedBy();
  process.stdout.write(`secs ${secs.toFixed(2)} txs/s ${Math.round((blocks.length * 200) / secs)}; head waited ${headWait} ms in all; cpu user ${Math.round(cpu.user / 1000)} sys ${Math.round(cpu.system / 1000)} ms; slow peer answering ${Math.round(slowMs)} ms\n`);
  process.stdout.write(`low edge waited (window's own count) ${Math.round(b.sync.window.lowEdgeWaitMs)} ms; duplicate bodies ${b.sync.stats.duplicateBodies}\n`);
  process.stdout.write(`served ${JSON.stringify([...served].map(([k, v]) => [name(k), v]))}\n`);
  for (const [p, l] of b.sync.window.loads) process.stdout.write(`${name(p.id)} ewma ${Math.round(l.ewmaMs)} strikes ${l.strikes}\n`);
  await slow.close();
} finally {
  await stopChildren(fast);
  await net.stopAll();
}
