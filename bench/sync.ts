// Sync figures from real nodes on 127.0.0.1: a fresh node syncing blocks of 200 signed txs from
// one honest peer (against the one-core raw Ed25519 verify rate) and from four peers, one of them
// 10x slower (against the raw verify rate of every core at once, measured in the same run), with
// the share of bodies each fast peer served. Each serving node runs in its own process (as on a
// real network), so the syncing node's event loop and libuv pool do only the syncing node's work.
// The headline keys sync 60 blocks (about a second: warm-up and JIT weigh in); `sync.long` repeats
// both syncs over 300 blocks in the same run for the steady state.
import { cpSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { addressFromPublicKey, blockId, type Block, type TransferTx } from '../src/core/index.js';
import { generateKeyPair, nodeIdFromPublicKey, signMessage, toHex, verifySignature } from '../src/crypto/index.js';
import { testKey, transfer, testAddress, buildBlock } from '../test/helpers/fixtures.js';
import { tempDir, openChainAt } from '../test/helpers/chain-helpers.js';
import { testNet, waitUntil, type TestNet } from '../test/helpers/node-helpers.js';
import { ScriptedPeer } from '../test/helpers/scripted-peer.js';
import { ChildNode, stopChildren } from './child-nodes.js';
import type { KadDiag } from './node-child.js';
import { perfRecord } from './sync-threads.js';

/**
 * Blocks synced for the headline keys (BENCH_SYNC_BLOCKS overrides, for a diagnostic run): 60 is a
 * short sync, where the peers that prove their headers later must still get their share.
 */
const BLOCKS = Number(process.env.BENCH_SYNC_BLOCKS ?? 60);
/** Blocks of the steady-state run (`sync.long`). */
const LONG_BLOCKS = Number(process.env.BENCH_SYNC_LONG_BLOCKS ?? 300);
export const TXS = 200;
/** The slow peer answers each getdata this many times later than the fast peers' mean answer. */
export const SLOW_FACTOR = 10;

export function rawVerifyRate(): number {
  const k = generateKeyPair();
  const msg = new Uint8Array(110).fill(7);
  const sig = signMessage(msg, k.secretKey);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 2000) {
    for (let i = 0; i < 100; i++) verifySignature(msg, sig, k.publicKey);
    n += 100;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Raw verify on every core at once (worker threads), summed. */
async function rawVerifyAllRate(): Promise<number> {
  const n = availableParallelism();
  const rates = await Promise.all(
    Array.from({ length: n }, () => new Promise<number>((resolve, reject) => {
      const w = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: { ms: 2000 } });
      w.once('message', (r: number) => resolve(r));
      w.once('error', reject);
    })),
  );
  return rates.reduce((s, r) => s + r, 0);
}

export interface Prebuilt { dir: ReturnType<typeof tempDir>; blocks: Block[]; tip: string; tipWork: { id: Uint8Array; height: number; work: bigint } }

/** A data dir holding `count` blocks of TXS signed transfers; returns the blocks and the tip. */
export async function prebuilt(net: TestNet, count = BLOCKS): Promise<Prebuilt> {
  const dir = tempDir('kadchain-bench-');
  net.dirs.push(dir);
  const pre = await openChainAt(`${dir.path}/chain`, net.genesis);
  let parent = { id: net.genesis.id, height: 0, timestamp: net.genesis.params.timestamp };
  let nonce = 0n;
  const blocks: Block[] = [];
  for (let b = 0; b < count; b++) {
    const txs: TransferTx[] = [];
    for (let i = 0; i < TXS; i++) txs.push(transfer('alice', testAddress('r' + (i % 50)), 1000n, nonce++, net.genesis.id, 1n));
    const block: Block = buildBlock({ parent, target: net.genesis.params.initialTarget, params: net.genesis.params, txs });
    const r = await pre.submitBlock(block);
    if (r.status !== 'connected') throw new Error(`bench block refused: ${r.reason}`);
    blocks.push(block);
    parent = { id: blockId(block), height: block.header.height, timestamp: block.header.timestamp };
  }
  const tip = pre.tip.idHex;
  const tipWork = { id: pre.tip.id, height: pre.tip.height, work: pre.tip.work };
  // The tx index written now: a node's close leaves it behind and the next open catches it up in
  // the background, so every serving copy re-indexed the whole chain while it served the sync
  // (12,000-60,000 rows each, charged to sync.servingCpuUsPerTx* and taking cores from the syncer).
  await pre.txIndex.flush();
  await pre.close();
  return { dir, blocks, tip, tipWork };
}

/**
 * `count` serving nodes, each its own process on its own copy of the data dir at `dataDir` (`profileDir`: see ChildConfig).
 * They start alone (no bootstrap). BENCH_SYNC_MESHED=1 (diagnostics, not the headline setup): each
 * bootstraps from the first and the sync starts once they have joined the DHT and dialled each other,
 * as long-up nodes would have, so the serving CPU is the serving alone.
 */
export async function startServingCopies(net: TestNet, dataDir: string, count: number, profileDir?: string): Promise<ChildNode[]> {
  const meshed = !!process.env.BENCH_SYNC_MESHED;
  const started: ChildNode[] = [];
  for (let i = 0; i < count; i++) {
    const copy = tempDir('kadchain-bench-');
    net.dirs.push(copy);
    cpSync(dataDir, copy.path, { recursive: true });
    const bootstrap = meshed && i > 0 ? [`127.0.0.1:${started[0]!.port}`] : [];
    started.push(await ChildNode.start({ dataDir: copy.path, genesisFile: net.genesisFile, bootstrap, ...(profileDir ? { profileDir } : {}) }));
  }
  if (meshed && count > 1) {
    await waitUntil('serving nodes meshed', async () => (await Promise.all(started.map((c) => c.stats()))).every((s) => s.peers >= count - 1 && s.kad.table >= count - 1), 60_000, 100);
    // Their joins' lookups and network-record rounds done: a quiet second of discovery traffic.
    let last = -1;
    await waitUntil('serving nodes quiet', async () => {
      const rx = (await Promise.all(started.map((c) => c.stats()))).reduce((sum, s) => sum + s.kad.received, 0);
      const quiet = rx === last;
      last = rx;
      return quiet;
    }, 60_000, 1000);
  }
  return started;
}

export function alloc(): Parameters<typeof testNet>[0] {
  return { alloc: [{ address: addressFromPublicKey(testKey('alice').publicKey), amount: 10n ** 15n }] };
}

interface OnePeerRun { blocksPerSec: number; txsPerSec: number; rawVerifyPerSec: number; verifyRatio: number; syncCpuUsPerTx: number; mainThreadCpuUsPerTx: number; servingCpuUsPerTx: number; firstBodyMs: number }

/** A fresh node syncs `fx` from one honest serving process. */
async function onePeer(net: TestNet, fx: Prebuilt): Promise<OnePeerRun> {
  const n = fx.blocks.length;
  const children: ChildNode[] = [];
  // The machine's speed drifts (shared cores): the reference is measured on both sides of the sync
  // and the faster of the two counts (a slow sample would flatter the ratio; an average did, by up to
  // 1.24). Both samples are taken with no node of this run alive: measured while the nodes booted
  // (and their verify workers, which now start with the node) it read ~25% low, flattering the ratio.
  const rawBefore = rawVerifyRate();
  const b = await net.start();
  let run: Omit<OnePeerRun, 'rawVerifyPerSec' | 'verifyRatio'> & { txs: number; secs: number };
  try {
    children.push(...(await startServingCopies(net, fx.dir.path, 1)));
    const honest = children[0]!;
    const kadBefore = await kadDiags([honest]);
    const t0 = performance.now();
    const cpu = cpuMeter([honest]);
    // Start-up latency (diagnostics): dial to the first body in, through handshake, headers and getdata.
    let firstBodyAt = NaN;
    const onBody = (_p: unknown, m: { kind: string }): void => {
      if (m.kind !== 'block') return;
      firstBodyAt = performance.now();
      b.net.off('message', onBody);
    };
    b.net.on('message', onBody);
    await b.net.dial('127.0.0.1', honest.port);
    await waitUntil('bench sync', () => b.chain.tip.idHex === fx.tip, 300_000, 10);
    const secs = (performance.now() - t0) / 1000;
    b.net.off('message', onBody);
    const used = cpu();
    await kadReport('one peer', [honest], kadBefore, used.children);
    run = {
      txs: n * TXS,
      secs,
      blocksPerSec: Math.round((n / secs) * 10) / 10,
      txsPerSec: Math.round((n * TXS) / secs),
      // Where the CPU went (diagnostics): the syncing process (main thread, verify workers, LevelDB)
      // and the serving process, per transaction synced.
      syncCpuUsPerTx: Math.round((used.self * 1000) / (n * TXS)),
      mainThreadCpuUsPerTx: Math.round((used.main * 1000) / (n * TXS)),
      servingCpuUsPerTx: Math.round((used.children * 1000) / (n * TXS)),
      firstBodyMs: Math.round(firstBodyAt - t0),
    };
  } finally {
    await stopChildren(children);
    await b.stop();
  }
  const raw = Math.max(rawBefore, rawVerifyRate());
  const { txs, secs, ...figures } = run;
  return { ...figures, rawVerifyPerSec: Math.round(raw), verifyRatio: Math.round((txs / secs / raw) * 100) / 100 };
}

interface FourPeerRun { rawVerifyAllPerSec: number; txsPerSec4: number; verifyRatio4: number; minPeerShare: number; slowPeerShare: number; lowEdgeWaitMs4: number; syncCpuUsPerTx4: number; mainThreadCpuUsPerTx4: number; servingCpuUsPerTx4: number; coresBusy4: number }

let perfTaken = false;

/** A fresh node syncs `fx` from three serving processes and one in-process peer 10x slower. */
async function fourPeers(net: TestNet, fx: Prebuilt): Promise<FourPeerRun> {
  const { blocks, tip, tipWork } = fx;
  const n = blocks.length;
  const fast: ChildNode[] = [];
  // The all-core reference, like the one-core one, with no node of this run alive (see onePeer).
  const rawBefore = await rawVerifyAllRate();
  const b = await net.start();
  let slow: ScriptedPeer | undefined;
  let run: Omit<FourPeerRun, 'rawVerifyAllPerSec' | 'verifyRatio4'> & { txs: number; secs: number };
  try {
    fast.push(...(await startServingCopies(net, fx.dir.path, 3)));
    // The slow peer: holds the same blocks and answers every getdata SLOW_FACTOR x later than the
    // fast peers answer on average (measured from the fresh node's own view as it goes).
    slow = await ScriptedPeer.connect(b.port, {
      genesis: net.genesis.id, blocks, tip: tipWork,
      script: {
        getdata: (s, m) => {
          const loads = [...b.sync.window.loads.entries()].filter(([p]) => p.id !== toHexId(s)).map(([, l]) => l.ewmaMs);
          const mean = loads.length ? loads.reduce((x, y) => x + y, 0) / loads.length : 20;
          s.later(Math.max(20, mean) * SLOW_FACTOR, () => s.answerData(m));
        },
      },
    });
    // BENCH_SYNC_PERF=<file>: a diagnostic perf recording of the four-peer sync of the first run (see perfRecord).
    const perfOut = process.env.BENCH_SYNC_PERF;
    const stopPerf = perfOut && !perfTaken ? ((perfTaken = true), await perfRecord([process.pid, ...fast.map((f) => f.pid)], perfOut, !!process.env.BENCH_SYNC_PERF_G)) : undefined;
    const kadBefore = await kadDiags(fast);
    const t0 = performance.now();
    const cpu = cpuMeter(fast);
    await Promise.all(fast.map((f) => b.net.dial('127.0.0.1', f.port)));
    await waitUntil('bench sync (4 peers)', () => b.chain.tip.idHex === tip, 300_000, 10);
    const secs = (performance.now() - t0) / 1000;
    const used = cpu();
    await stopPerf?.();
    await kadReport('four peers', fast, kadBefore, used.children);
    const served = b.sync.servedBy();
    const total = [...served.values()].reduce((s, k) => s + k, 0);
    const shares = fast.map((f) => (served.get(f.nodeId) ?? 0) / Math.max(1, total));
    const slowServed = served.get(toHexId(slow)) ?? 0;
    run = {
      txs: n * TXS,
      secs,
      txsPerSec4: Math.round((n * TXS) / secs),
      minPeerShare: Math.round(Math.min(...shares) * 1000) / 1000,
      slowPeerShare: Math.round((slowServed / Math.max(1, total)) * 1000) / 1000,
      // Head-of-line blocking: ms the fresh node's connector waited for the body at the low edge.
      lowEdgeWaitMs4: Math.round(b.sync.window.lowEdgeWaitMs),
      // The four-peer ceiling on this machine: CPU per tx of the syncing process (with the in-process
      // slow peer) and of the three serving processes, and how busy all cores were meanwhile; the main
      // thread alone (it also runs the in-process slow peer, a few ms per sync).
      syncCpuUsPerTx4: Math.round((used.self * 1000) / (n * TXS)),
      mainThreadCpuUsPerTx4: Math.round((used.main * 1000) / (n * TXS)),
      servingCpuUsPerTx4: Math.round((used.children * 1000) / (n * TXS)),
      coresBusy4: Math.round(((used.self + used.children) / (secs * 1000)) * 100) / 100,
    };
  } finally {
    await slow?.close();
    await stopChildren(fast);
    await b.stop();
  }
  const raw = Math.max(rawBefore, await rawVerifyAllRate());
  const { txs, secs, ...figures } = run;
  return { ...figures, rawVerifyAllPerSec: Math.round(raw), verifyRatio4: Math.round((txs / secs / raw) * 100) / 100 };
}

/** One prebuilt chain of `count` blocks, synced by one peer and then by four. */
async function syncRuns(count: number): Promise<{ one: OnePeerRun; four: FourPeerRun }> {
  const net = testNet(alloc());
  try {
    const fx = await prebuilt(net, count);
    return { one: await onePeer(net, fx), four: await fourPeers(net, fx) };
  } finally {
    await net.stopAll();
  }
}

/**
 * CPU ms used from now on by this process, by its main thread alone, and by `children` (their /proc
 * counters), read once. The main thread's share is the part no worker overlaps: it separates a
 * change to the connect path from noise in the verify workers' (and the machine's) time.
 */
function cpuMeter(children: ChildNode[]): () => { self: number; main: number; children: number } {
  const self0 = process.cpuUsage();
  const main0 = mainThreadCpuMs();
  const kids0 = children.map((c) => c.cpuMs() ?? NaN);
  return () => {
    const self = process.cpuUsage(self0);
    return { self: (self.user + self.system) / 1000, main: mainThreadCpuMs() - main0, children: children.reduce((sum, c, i) => sum + ((c.cpuMs() ?? NaN) - kids0[i]!), 0) };
  };
}

/** CPU ms of this process's main thread (Linux schedstat, ns; NaN elsewhere). */
function mainThreadCpuMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}

/**
 * BENCH_SYNC_KAD=1 (diagnostics): each serving process's discovery state and ws peers, read before
 * and after a sync. The serving nodes start alone (no bootstrap, empty tables): the newcomer's
 * contact makes each join the DHT (self lookup, network record) and dial the others it finds there.
 */
async function kadDiags(children: ChildNode[]): Promise<(KadDiag & { peers: number })[] | undefined> {
  return process.env.BENCH_SYNC_KAD ? Promise.all(children.map(async (c) => {
    const s = await c.stats();
    return { ...s.kad, peers: s.peers };
  })) : undefined;
}

/** Prints (stderr) what discovery did in each serving process during the sync: datagrams, crypto inline/offloaded, worker boot. */
async function kadReport(what: string, children: ChildNode[], before: (KadDiag & { peers: number })[] | undefined, cpuMs: number): Promise<void> {
  if (!before) return;
  const after = await kadDiags(children);
  const rows = after!.map((a, i) => {
    const b = before[i]!;
    return `rx ${a.received - b.received} tx ${a.sent - b.sent} table ${b.table}->${a.table} inline ${a.inline - b.inline} offloaded ${a.offloaded - b.offloaded} busy turns ${a.busyTurns - b.busyTurns} (peak ${a.peakTurn}) pool ${b.poolReady ? 'up' : 'down'}->${a.poolReady ? 'up' : 'down'} workers ${b.poolWorkers}->${a.poolWorkers} threads ${b.threads}->${a.threads} ws peers ${b.peers}->${a.peers}`;
  });
  process.stderr.write(`kad during ${what} sync (serving CPU ${Math.round(cpuMs)} ms):\n  ${rows.join('\n  ')}\n`);
}

function toHexId(p: ScriptedPeer): string {
  return toHex(nodeIdFromPublicKey(p.key.publicKey));
}

export async function benchSync(): Promise<Record<string, unknown>> {
  const short = await syncRuns(BLOCKS);
  const long = await syncRuns(LONG_BLOCKS);
  const { one, four } = short;
  return {
    'sync.blocks': BLOCKS,
    'sync.txsPerBlock': TXS,
    'sync.blocksPerSec': one.blocksPerSec,
    'sync.txsPerSec': one.txsPerSec,
    'sync.rawVerifyPerSec': one.rawVerifyPerSec,
    'sync.verifyRatio': one.verifyRatio,
    'sync.syncCpuUsPerTx': one.syncCpuUsPerTx,
    'sync.mainThreadCpuUsPerTx': one.mainThreadCpuUsPerTx,
    'sync.servingCpuUsPerTx': one.servingCpuUsPerTx,
    'sync.firstBodyMs': one.firstBodyMs,
    'sync.cores': availableParallelism(),
    'sync.rawVerifyAllPerSec': four.rawVerifyAllPerSec,
    'sync.txsPerSec4': four.txsPerSec4,
    'sync.verifyRatio4': four.verifyRatio4,
    'sync.minPeerShare': four.minPeerShare,
    'sync.slowPeerShare': four.slowPeerShare,
    'sync.lowEdgeWaitMs4': four.lowEdgeWaitMs4,
    'sync.syncCpuUsPerTx4': four.syncCpuUsPerTx4,
    'sync.mainThreadCpuUsPerTx4': four.mainThreadCpuUsPerTx4,
    'sync.servingCpuUsPerTx4': four.servingCpuUsPerTx4,
    'sync.coresBusy4': four.coresBusy4,
    // The steady state: the same two syncs over LONG_BLOCKS blocks.
    'sync.long': {
      blocks: LONG_BLOCKS,
      verifyRatio: long.one.verifyRatio,
      verifyRatio4: long.four.verifyRatio4,
      minPeerShare: long.four.minPeerShare,
      syncCpuUsPerTx: long.one.syncCpuUsPerTx,
      syncCpuUsPerTx4: long.four.syncCpuUsPerTx4,
      mainThreadCpuUsPerTx: long.one.mainThreadCpuUsPerTx,
      mainThreadCpuUsPerTx4: long.four.mainThreadCpuUsPerTx4,
      servingCpuUsPerTx4: long.four.servingCpuUsPerTx4,
      servingCpuUsPerTx: long.one.servingCpuUsPerTx,
    },
  };
}
