// A CPU profile of both sides of the one-peer sync (not the bench's setup or its reference loops):
// the fresh node in this process (main thread; its verify workers show as process CPU the main
// thread did not use) and the honest peer serving it from a child process. The profilers run only
// while the fresh node syncs. Writes both .cpuprofile files and prints, per process, CPU per tx and
// the top functions by self time.
// Usage: node dist/bench/sync-profile.js [out-dir]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { testNet, waitUntil } from '../test/helpers/node-helpers.js';
import { ChildNode } from './child-nodes.js';
import type { ChildReport } from './node-child.js';
import { TXS, alloc, prebuilt, rawVerifyRate } from './sync.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

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
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await honest.request({ cmd: 'prof-start' }, isProfiled);
  await session.post('Profiler.start');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const child0 = honest.cpuMs();
  await b.net.dial('127.0.0.1', honest.port);
  await waitUntil('profiled sync', () => b.chain.tip.idHex === tip, 300_000, 10);
  const ms = performance.now() - t0;
  // CPU time, unlike the samples' wall time, is not inflated when other work on a shared machine
  // takes the cores: this process (main thread, verify workers, libuv) and the serving child.
  const cpu = process.cpuUsage(cpu0);
  const child1 = honest.cpuMs();
  const { profile } = (await session.post('Profiler.stop')) as { profile: Profile };
  session.disconnect();
  const served = await honest.request({ cmd: 'prof-stop', name: 'serving' }, isProfiled);
  writeFileSync(join(outDir, 'syncing.cpuprofile'), JSON.stringify(profile));
  const txs = b.chain.tip.height * TXS;
  const verifyUs = 1e6 / rawVerifyRate();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const childMs = child0 !== undefined && child1 !== undefined ? child1 - child0 : NaN;
  const mainBusy = selfTimes(profile).busyMs;
  process.stdout.write(`sync ${Math.round(ms)} ms, ${txs} txs (${Math.round(txs / (ms / 1000))} tx/s); one raw signature check ${verifyUs.toFixed(0)} us\n`);
  process.stdout.write(`syncing process CPU ${Math.round(cpuMs)} ms = ${Math.round((cpuMs * 1000) / txs)} us/tx (main thread ~${Math.round((mainBusy * 1000) / txs)}, the rest workers/libuv/GC threads ~${Math.round(((cpuMs - mainBusy) * 1000) / txs)}); serving process CPU ${Math.round(childMs)} ms = ${Math.round((childMs * 1000) / txs)} us/tx\n`);
  print('syncing', profile, txs, lines);
  if (served.file) print('serving', JSON.parse(readFileSync(served.file, 'utf8')) as Profile, txs, lines);
} finally {
  await honest?.stop();
  await net.stopAll();
}
