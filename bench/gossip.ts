// Gossip and relay figures in a 12-node network found through Kademlia, every node its own process
// (as on a real network: its own event loop, store and GC): block bodies received per node per
// block (each node should fetch a body once), and the time from a block's submission at its miner
// to its connection at the last of the 12 nodes (p50 / p95 over the blocks), on a settled mesh after
// a few warm-up blocks (gossip.warmupBlocks; BENCH_GOSSIP_WARMUP=0 measures from the first). Every process stamps
// its events with the machine's wall clock (performance.timeOrigin + now), so times compare.
// Diagnostics (off by default, printed to stderr, never in the figures): BENCH_GOSSIP_TRACE=1
// prints the relay tree (hops from the miner) and where each hop's milliseconds go;
// BENCH_GOSSIP_PROF=<dir> writes one CPU profile per node of the measured phase only.
import { testNet, waitUntil } from '../test/helpers/node-helpers.js';
import { tempDir } from '../test/helpers/cleanup.js';
import type { ChildReport } from './node-child.js';
import { describeRelay, median } from './gossip-trace.js';
import { ChildNode, stopChildren } from './child-nodes.js';

const NODES = 12;
const BLOCKS = Number(process.env.BENCH_GOSSIP_BLOCKS ?? 20);
/** Blocks relayed (not measured) before the measured ones: see benchGossip. */
const WARMUP_BLOCKS = Number(process.env.BENCH_GOSSIP_WARMUP ?? 10);
/** A node's outbound target: the mesh is settled once every node has at least this many peers. */
const SETTLED_PEERS = 8;
const TRACE = process.env.BENCH_GOSSIP_TRACE === '1';
const PROF_DIR = process.env.BENCH_GOSSIP_PROF || undefined;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

type Mined = Extract<ChildReport, { type: 'mined' }>;

/**
 * Mines block number `i` at one node and waits until all nodes connected it; the latency is from
 * its submission at the miner to its connection at the last node.
 */
async function relayOne(nodes: ChildNode[], i: number): Promise<{ latency: number; mined: { id: string; node: number; at: number } }> {
  const at = nodes[(i * 5) % nodes.length]!;
  // The id is known only once the child built the block: collect every report, keep this one's.
  const arrivals: { node: number; id: string; at: number }[] = [];
  let arrived: (() => void) | undefined;
  const off = nodes.map((n, node) => n.on((r) => {
    if (r.type !== 'block') return;
    arrivals.push({ node, id: r.id, at: r.at });
    arrived?.();
  }));
  try {
    const mined = await at.request({ cmd: 'mine', tag: String(i) }, (r): r is Mined => r.type === 'mined');
    if (mined.status !== 'connected') throw new Error(`bench block not connected at its miner: ${mined.status}`);
    // Each node's first connection of this block (a node reports a block once; a Map makes sure).
    const arrivedAt = (): Map<number, number> => {
      const first = new Map<number, number>();
      for (const a of arrivals) if (a.id === mined.id && !first.has(a.node)) first.set(a.node, a.at);
      return first;
    };
    // Woken by the arrivals themselves: no polling, so the bench takes no CPU from the nodes it times.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`propagation: block ${i} reached ${arrivedAt().size} of ${nodes.length} nodes in 60 s`)), 60_000);
      arrived = () => {
        if (arrivedAt().size < nodes.length) return;
        clearTimeout(timer);
        resolve();
      };
      arrived();
    });
    return { latency: Math.max(...arrivedAt().values()) - mined.at, mined: { id: mined.id, node: nodes.indexOf(at), at: mined.at } };
  } finally {
    off.forEach((f) => f());
  }
}

const isProfiled = (r: ChildReport): r is Extract<ChildReport, { type: 'profiled' }> => r.type === 'profiled';

export async function benchGossip(): Promise<Record<string, number>> {
  const net = testNet();
  const nodes: ChildNode[] = [];
  try {
    const start = async (bootstrap: string[]): Promise<ChildNode> => {
      const dir = tempDir('kadchain-bench-');
      net.dirs.push(dir);
      const c = await ChildNode.start({ dataDir: dir.path, genesisFile: net.genesisFile, bootstrap, trace: TRACE, profileDir: PROF_DIR });
      nodes.push(c);
      return c;
    };
    // Only the seed is known to the others: the mesh is built by Kademlia discovery alone.
    const seed = await start([]);
    for (let i = 1; i < NODES; i++) await start([`127.0.0.1:${seed.port}`]);
    let stats = await Promise.all(nodes.map((n) => n.stats()));
    // Measured on a settled mesh (every node at its outbound target of 8 peers or more), not while
    // discovery and handshakes still load the two cores: relay latency is a steady-state figure.
    // If discovery never settles it, measure what there is (every node with a few peers) and say
    // so in gossip.meshSettled, rather than print nothing.
    let meshSettled = 1;
    await waitUntil('mesh', async () => (stats = await Promise.all(nodes.map((n) => n.stats()))).every((s) => s.peers >= SETTLED_PEERS), 60_000, 200).catch(() => {
      meshSettled = 0;
    });
    if (!meshSettled) await waitUntil('mesh (partial)', async () => (stats = await Promise.all(nodes.map((n) => n.stats()))).every((s) => s.peers >= 2), 60_000, 200);
    // Steady state, as on a running network: a few blocks relayed before the measured ones, so the
    // figures are not those of each process's first blocks (cold code paths, first allocations).
    for (let i = 0; i < WARMUP_BLOCKS; i++) await relayOne(nodes, i);
    stats = await Promise.all(nodes.map((n) => n.stats()));
    const before = stats.map((s) => s.bodiesReceived);
    // Background CPU (Kademlia upkeep, keep-alives) over a quiet second, to tell per-block CPU from it.
    const quietFrom = TRACE ? { at: performance.now(), cpu: stats.map((s) => s.cpuMs) } : undefined;
    if (TRACE) await new Promise((r) => setTimeout(r, 1000));
    const quiet = quietFrom && (await Promise.all(nodes.map((n) => n.stats()))).map((s, i) => ({ ms: performance.now() - quietFrom.at, cpu: s.cpuMs - quietFrom.cpu[i]! }));
    const fromStats = await Promise.all(nodes.map((n) => n.stats()));
    const blocksFrom = { at: performance.now(), cpu: fromStats.map((s) => s.cpuMs), sys: fromStats.map((s) => s.sysMs) };
    if (PROF_DIR) await Promise.all(nodes.map((n) => n.request({ cmd: 'prof-start' }, isProfiled)));
    const minedBy: { id: string; node: number; at: number }[] = [];
    const latencies: number[] = [];
    for (let i = 0; i < BLOCKS; i++) {
      const r = await relayOne(nodes, WARMUP_BLOCKS + i);
      latencies.push(r.latency);
      minedBy.push(r.mined);
    }
    if (PROF_DIR) await Promise.all(nodes.map((n, i) => n.request({ cmd: 'prof-stop', name: `gossip-node${i}` }, isProfiled)));
    if (TRACE) {
      const traces = await Promise.all(nodes.map(async (n) => (await n.request({ cmd: 'trace' }, (r): r is Extract<ChildReport, { type: 'trace' }> => r.type === 'trace')).blocks));
      process.stderr.write(describeRelay(nodes.map((n) => n.nodeId), traces, minedBy));
      const after = await Promise.all(nodes.map((n) => n.stats()));
      const wall = performance.now() - blocksFrom.at;
      const perBlock = after.map((s, i) => (s.cpuMs - blocksFrom.cpu[i]! - (quiet![i]!.cpu / quiet![i]!.ms) * wall) / BLOCKS);
      const background = quiet!.map((q) => (q.cpu / q.ms) * 1000);
      const sysPerBlock = after.map((s, i) => (s.sysMs - blocksFrom.sys[i]!) / BLOCKS);
      process.stderr.write(`gossip cpu: per block per node (ms, background removed) median ${median(perBlock)} max ${Math.round(Math.max(...perBlock) * 10) / 10}; of which system (kernel: sockets, LevelDB files) ${median(sysPerBlock)} before removing background; background per node ${median(background)} ms/s; measured phase ${Math.round(wall)} ms\n`);
    }
    stats = await Promise.all(nodes.map((n) => n.stats()));
    const bodies = stats.reduce((s, st, i) => s + st.bodiesReceived - before[i]!, 0);
    latencies.sort((a, b) => a - b);
    return {
      'gossip.nodes': nodes.length,
      'gossip.blocks': BLOCKS,
      'gossip.warmupBlocks': WARMUP_BLOCKS,
      'gossip.bodiesPerNodePerBlock': Math.round((bodies / BLOCKS / (nodes.length - 1)) * 1000) / 1000,
      'gossip.meshSettled': meshSettled,
      'gossip.meanPeers': Math.round((stats.reduce((s, st) => s + st.peers, 0) / nodes.length) * 10) / 10,
      'relay.p50Ms': Math.round(percentile(latencies, 0.5) * 10) / 10,
      'relay.p95Ms': Math.round(percentile(latencies, 0.95) * 10) / 10,
    };
  } finally {
    await stopChildren(nodes);
    await net.stopAll();
  }
}
