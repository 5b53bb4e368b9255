// A CPU profile of both sides of the one-peer sync (not the bench's setup or its reference loops):
// the fresh node in this process (main thread; its verify workers show as process CPU the main
// thread did not use) and the honest peer serving it from a child process. The profilers run only
// while the fresh node syncs. Writes both .cpuprofile files and prints, per process, CPU per tx and
// the top functions by self time.
// Usage: node dist/bench/sync-profile.js [out-dir]
// The threads are not named (all "node"): to split "other threads", run again under
// `node --single-threaded-gc` (GC helpers' work moves to the main thread) and `node --single-threaded`
// (background compiles too); what is left is the libuv pool and LevelDB.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import type { RunningNode } from '../src/node/index.js';
import type { MessageOf, Peer } from '../src/p2p/index.js';
import { testNet, waitUntil } from '../test/helpers/node-helpers.js';
import { ChildNode } from './child-nodes.js';
import type { ChildReport } from './node-child.js';
import { TXS, alloc, prebuilt, rawVerifyRate } from './sync.js';
import { threadCpu, threadLine } from './sync-threads.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

interface HeapNode { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children: HeapNode[] }
interface HeapProfile { head: HeapNode }

function printHeap(profile: HeapProfile, txs: number, n: number): void {
  const self = new Map<string, number>();
  let total = 0;
  const walk = (node: HeapNode): void => {
    const f = node.callFrame;
    const k = `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  process.stdout.write(`main thread allocated ~${Math.round(total / txs)} bytes/tx (sampled); by function (bytes/tx):\n`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, n)) process.stdout.write(`${Math.round(v / txs)}\t${k}\n`);
}

/**
 * When the fresh node's start-up steps happened: handshake done, getheaders sent, headers in, first
 * getdata out, first and last body in, first and last block connected. Wraps the node's send (a
 * diagnostic: the wrapper costs a clock read per message).
 */
function timeline(node: RunningNode): (t0: number) => string {
  const at = new Map<string, number>();
  const first = (k: string): void => void (at.has(k) || at.set(k, performance.now()));
  const net = node.net;
  const exchange = net.exchange.bind(net) as (p: Peer, m: MessageOf<'getheaders'>) => Promise<MessageOf<'headers'>>;
  net.exchange = ((p: Peer, m: MessageOf<'getheaders'>) => {
    first('getheaders out');
    return exchange(p, m).then((r) => {
      first('headers in');
      return r;
    });
  }) as typeof net.exchange;
  const request = net.request.bind(net);
  net.request = (p, items) => {
    first('getdata out');
    return request(p, items);
  };
  net.on('peer:connected', () => first('handshake'));
  net.on('message', (_p, m) => {
    if (m.kind === 'block') {
      first('first body in');
      at.set('last body in', performance.now());
    }
  });
  node.chain.on('block', () => {
    first('first connect');
    at.set('last connect', performance.now());
  });
  return (t0) => [...at].sort((a, b) => a[1] - b[1]).map(([k, v]) => `${k} ${Math.round(v - t0)}`).join(', ');
}

const isProfiled = (r: ChildReport): r is Extract<ChildReport, { type: 'profiled' }> => r.type === 'profiled';

/** Self time per function (ms), and the busy (non-idle) total. */
function selfTimes(profile: Profile): { top: [string, number][]; busyMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let busyMs = 0;
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const k = `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber}`;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (f.functionName !== '(idle)' && f.functionName !== '(program)') busyMs += ms;
    self.set(k, (self.get(k) ?? 0) + ms);
  });
  return { top: [...self].sort((a, b) => b[1] - a[1]), busyMs };
}

function print(title: string, profile: Profile, txs: number, lines: number): void {
  const { top, busyMs } = selfTimes(profile);
  process.stdout.write(`${title}: main thread busy ${Math.round(busyMs)} ms (${Math.round((busyMs * 1000) / txs)} us/tx); self time (ms, us/tx):\n`);
  for (const [k, v] of top.slice(0, lines)) process.stdout.write(`${Math.round(v)}\t${((v * 1000) / txs).toFixed(1)}\t${k}\n`);
}

const outDir = process.argv[2] ?? 'sync-profile';
const lines = Number(process.env.LINES ?? 30);
mkdirSync(outDir, { recursive: true });
const net = testNet(alloc());
let honest: ChildNode | undefined;
try {
  const { dir, tip } = await prebuilt(net);
  honest = await ChildNode.start({ dataDir: dir.path, genesisFile: net.genesisFile, bootstrap: [], profileDir: outDir });
  const b = await net.start();
  // SYNC_PROFILE_THREADS_ONLY=1: per-thread CPU without the profilers (their sampling threads and
  // their cost on the main threads perturb what is measured).
  const profiling = !process.env.SYNC_PROFILE_THREADS_ONLY;
  const session = new Session();
  const heap = !!process.env.SYNC_PROFILE_HEAP;
  if (heap) {
    // Allocation sampling instead of CPU sampling: bytes allocated on the main thread by function.
    session.connect();
    await session.post('HeapProfiler.enable');
    // SYNC_PROFILE_HEAP=live: only what is still live at the end (what the sync retains).
    const all = process.env.SYNC_PROFILE_HEAP !== 'live';
    await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: all, includeObjectsCollectedByMinorGC: all });
  } else if (profiling) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await honest.request({ cmd: 'prof-start' }, isProfiled);
    await session.post('Profiler.start');
  }
  const marks = timeline(b);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const child0 = honest.cpuMs();
  const threads0 = threadCpu('self');
  const childThreads0 = threadCpu(honest.pid);
  await b.net.dial('127.0.0.1', honest.port);
  await waitUntil('profiled sync', () => b.chain.tip.idHex === tip, 300_000, 10);
  const ms = performance.now() - t0;
  process.stdout.write(`timeline (ms from dial): ${marks(t0)}\n`);
  // CPU time, unlike the samples' wall time, is not inflated when other work on a shared machine
  // takes the cores: this process (main thread, verify workers, libuv) and the serving child.
  const cpu = process.cpuUsage(cpu0);
  const child1 = honest.cpuMs();
  const threads1 = threadCpu('self');
  const childThreads1 = threadCpu(honest.pid);
  const txs = b.chain.tip.height * TXS;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const childMs = child0 !== undefined && child1 !== undefined ? child1 - child0 : NaN;
  process.stdout.write(`sync ${Math.round(ms)} ms, ${txs} txs (${Math.round(txs / (ms / 1000))} tx/s); syncing process CPU ${Math.round((cpuMs * 1000) / txs)} us/tx, serving process ${Math.round((childMs * 1000) / txs)} us/tx\n`);
  process.stdout.write(`syncing threads (us/tx): ${threadLine(process.pid, threads0, threads1, txs)}\n`);
  process.stdout.write(`serving threads (us/tx): ${threadLine(honest.pid, childThreads0, childThreads1, txs)}\n`);
  if (heap) {
    const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: HeapProfile };
    session.disconnect();
    writeFileSync(join(outDir, 'syncing.heapprofile'), JSON.stringify(profile));
    printHeap(profile, txs, lines);
  } else if (profiling) {
    const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
    session.disconnect();
    const served = await honest.request({ cmd: 'prof-stop', name: 'serving' }, isProfiled);
    writeFileSync(join(outDir, 'syncing.cpuprofile'), JSON.stringify(profile));
    // The sampled main-thread busy time is wall time: on a loaded machine it runs above the CPU time.
    process.stdout.write(`one raw signature check ${(1e6 / rawVerifyRate()).toFixed(0)} us\n`);
    print('syncing', profile, txs, lines);
    if (served.file) print('serving', JSON.parse(readFileSync(served.file, 'utf8')) as Profile, txs, lines);
  }
} finally {
  await honest?.stop();
  await net.stopAll();
}
