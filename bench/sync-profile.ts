// A CPU profile of the syncing node alone (not the bench's setup or its reference loops): one honest
// peer in a child process serves the bench chain; the profiler runs only while the fresh node in
// this process syncs it. Writes the .cpuprofile and prints the top functions by self time.
// Usage: node dist/bench/sync-profile.js [out.cpuprofile]
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { testNet, waitUntil } from '../test/helpers/node-helpers.js';
import { ChildNode } from './child-nodes.js';
import { TXS, alloc, prebuilt, rawVerifyRate } from './sync.js';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

const out = process.argv[2] ?? 'sync.cpuprofile';
const net = testNet(alloc());
let honest: ChildNode | undefined;
try {
  const { dir, tip } = await prebuilt(net);
  honest = await ChildNode.start({ dataDir: dir.path, genesisFile: net.genesisFile, bootstrap: [] });
  const b = await net.start();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
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
  writeFileSync(out, JSON.stringify(profile));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const f = byId.get(id)!.callFrame;
    const k = `${f.functionName || '(anonymous)'} ${f.url.replace(/.*\/(dist|node_modules)\//, '$1/')}:${f.lineNumber}`;
    self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  const txs = b.chain.tip.height * TXS;
  const verifyUs = 1e6 / rawVerifyRate();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const childMs = child0 !== undefined && child1 !== undefined ? child1 - child0 : NaN;
  process.stdout.write(`sync ${Math.round(ms)} ms; syncing process CPU ${Math.round(cpuMs)} ms (${Math.round((cpuMs * 1000) / txs)} us/tx; one raw signature check ${verifyUs.toFixed(0)} us); serving child CPU ${Math.round(childMs)} ms\n`);
  process.stdout.write(`self time (ms):\n`);
  for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 40)) process.stdout.write(`${Math.round(v)}\t${k}\n`);
} finally {
  await honest?.stop();
  await net.stopAll();
}
