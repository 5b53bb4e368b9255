// Many KadNodes on one SimNetwork: seeded, deterministic measurements of lookup rounds, messages
// and recall (against the true k closest live nodes). By default every node joins through the
// protocol (bootstrap ping, bonding, self lookup, bucket refresh) under the given latency and loss;
// dead fractions and churn (nodes leaving and new ones joining while lookups run) are parameters.
// 'seeded' mode fills tables directly, for 10,000-node routing figures only.
import { sha256, toHex } from '../crypto/index.js';
import { KadNode } from './kad-node.js';
import { SimNetwork } from './transport.js';
import { compareDistance, K } from './routing-table.js';

export interface SimulationOptions {
  nodes: number;
  seed: number;
  lookups?: number;
  /** Fraction of nodes killed after the network formed, before the lookups. */
  deadFraction?: number;
  /** Fraction of nodes replaced (one leaves, a new one joins) spread over the lookups. */
  churnFraction?: number;
  latencyMs?: [number, number];
  /** Datagram loss, during the joins and the lookups. */
  loss?: number;
  joinBatch?: number;
  /** Buckets each node refreshes in its join, and again in one pass after all joined (default 2, 1). */
  joinRefresh?: number;
  finalRefresh?: number;
  /**
   * 'join' (default): every node joins through the protocol. 'seeded': tables are filled directly
   * with up to k random nodes per bucket range (what joins converge to), endpoint proofs off, so
   * 10,000 nodes fit in one process and a few seconds; lookups then run the real routing code.
   */
  mode?: 'join' | 'seeded';
}

export interface SimulationResult {
  nodes: number;
  lookups: number;
  medianRounds: number;
  p95Rounds: number;
  messagesPerLookup: number;
  recall: number;
  minTable: number;
  meanTable: number;
}

const PORT = 30420;

function seededKey(seed: number, i: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, seed);
  new DataView(b.buffer).setUint32(4, i);
  return sha256(b);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

const simHost = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function simNode(net: SimNetwork, seed: number, i: number, boot: KadNode | undefined, extra: Partial<ConstructorParameters<typeof KadNode>[0]> = {}): KadNode {
  return new KadNode({
    secretKey: seededKey(seed, i), transport: net.transport(simHost(i), PORT), bootstrap: boot ? [{ host: boot.host, port: PORT }] : [],
    clock: net.clock, random: () => net.random(), maintenance: false, ...extra,
  });
}

/** Builds a network of `nodes` (each joining through a random earlier node) on a SimNetwork. */
export async function buildSimulation(opts: SimulationOptions): Promise<{ net: SimNetwork; nodes: KadNode[] }> {
  if (opts.mode === 'seeded') return buildSeeded(opts);
  const net = new SimNetwork({ seed: opts.seed, latencyMs: opts.latencyMs ?? [5, 50], loss: opts.loss ?? 0 });
  const nodes: KadNode[] = [];
  const batch = opts.joinBatch ?? 50;
  for (let i = 0; i < opts.nodes; i++) {
    const node = simNode(net, opts.seed, i, i === 0 ? undefined : nodes[Math.floor(net.random() * i)], { joinRefreshBuckets: opts.joinRefresh ?? 2 });
    nodes.push(node);
    await node.start();
    if (i % batch === batch - 1 || i === opts.nodes - 1) await net.clock.run();
  }
  // One refresh pass so early nodes learn about the late joiners.
  for (let i = 0; i < nodes.length; i += batch) {
    for (const n of nodes.slice(i, i + batch)) void n.refreshBuckets(-1, opts.finalRefresh ?? 1);
    await net.clock.run();
  }
  return { net, nodes };
}

async function buildSeeded(opts: SimulationOptions): Promise<{ net: SimNetwork; nodes: KadNode[] }> {
  const net = new SimNetwork({ seed: opts.seed, latencyMs: opts.latencyMs ?? [5, 50], loss: opts.loss ?? 0 });
  const nodes: KadNode[] = [];
  for (let i = 0; i < opts.nodes; i++) {
    const node = simNode(net, opts.seed, i, undefined, { autoJoin: false, endpointProof: false });
    nodes.push(node);
    await node.start();
  }
  // Ids in sorted order: the ids sharing exactly b prefix bits with x form one contiguous range.
  const contacts = nodes.map((n) => ({ id: n.id, idHex: n.idHex, host: n.host, port: PORT, lastSeen: 0 }));
  const sorted = [...contacts].sort((a, b) => (a.idHex < b.idHex ? -1 : 1));
  const hexes = sorted.map((c) => c.idHex);
  const lowerBound = (h: string): number => {
    let lo = 0;
    let hi = hexes.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (hexes[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const bitsOf = (hex: string): string => BigInt('0x' + hex).toString(2).padStart(256, '0');
  for (const node of nodes) {
    const bits = bitsOf(node.idHex);
    for (let b = 0; b < 256; b++) {
      // Range of ids whose first b bits equal ours and whose bit b differs.
      const prefix = bits.slice(0, b) + (bits[b] === '0' ? '1' : '0');
      const lo = BigInt('0b' + prefix.padEnd(256, '0')).toString(16).padStart(64, '0');
      const hi = BigInt('0b' + prefix.padEnd(256, '1')).toString(16).padStart(64, '0');
      const from = lowerBound(lo);
      const to = lowerBound(hi + 'g');
      const count = to - from;
      if (count <= 0) {
        if (b > 24) break;
        continue;
      }
      if (count <= K) for (let j = from; j < to; j++) node.table.seed(sorted[j]!);
      else for (let t = 0, placed = 0; t < K * 3 && placed < K; t++) if (node.table.seed(sorted[from + Math.floor(net.random() * count)]!)) placed++;
    }
  }
  return { net, nodes };
}

export interface Sim {
  net: SimNetwork;
  nodes: KadNode[];
  /** Nodes alive and joined (newcomers from churn are added once their join ran). */
  live: Set<KadNode>;
  seed: number;
  nextIndex: number;
  joinRefresh: number;
}

export async function runSimulation(opts: SimulationOptions): Promise<SimulationResult> {
  const sim = await startSimulation(opts);
  try {
    return await measureLookups(sim, opts);
  } finally {
    await stopSimulation(sim);
  }
}

export async function startSimulation(opts: SimulationOptions): Promise<Sim> {
  const { net, nodes } = await buildSimulation(opts);
  return { net, nodes, live: new Set(nodes), seed: opts.seed, nextIndex: nodes.length, joinRefresh: opts.joinRefresh ?? 2 };
}

export async function stopSimulation(sim: Sim): Promise<void> {
  for (const n of new Set([...sim.nodes, ...sim.live])) await n.stop();
}

/**
 * Kills `deadFraction` of the live nodes, then runs `lookups` lookups from random live nodes,
 * replacing `churnFraction` of the nodes along the way; recall is against the true k closest of
 * the nodes live at each lookup. minTable and meanTable cover every live node at the end.
 */
export async function measureLookups(sim: Sim, opts: Pick<SimulationOptions, 'lookups' | 'deadFraction' | 'churnFraction' | 'seed'>): Promise<SimulationResult> {
  const { net, live } = sim;
  const killCount = Math.floor((opts.deadFraction ?? 0) * live.size);
  for (let killed = 0; killed < killCount;) {
    const all = [...live];
    const n = all[Math.floor(net.random() * all.length)]!;
    live.delete(n);
    net.kill(n.host, PORT);
    killed++;
  }
  const lookups = opts.lookups ?? 100;
  const churn = Math.floor((opts.churnFraction ?? 0) * live.size);
  const rounds: number[] = [];
  let messages = 0;
  let recallSum = 0;
  let replaced = 0;
  const joiners: KadNode[] = [];
  for (let l = 0; l < lookups; l++) {
    // Churn: before each lookup, this lookup's share of leavers go and as many newcomers join.
    const due = Math.floor((churn * (l + 1)) / lookups) - replaced;
    // The leavers go first, then the newcomers join, each through a node that stays: a newcomer
    // whose only bootstrap left in the same instant never joins (a start-up failure, not churn).
    for (let c = 0; c < due; c++) {
      const all = [...live];
      const leaver = all[Math.floor(net.random() * all.length)]!;
      live.delete(leaver);
      net.kill(leaver.host, PORT);
      await leaver.stop();
    }
    for (let c = 0; c < due; c++) {
      const others = [...live];
      const fresh = simNode(net, sim.seed, sim.nextIndex++, others[Math.floor(net.random() * others.length)], { joinRefreshBuckets: sim.joinRefresh });
      sim.nodes.push(fresh);
      joiners.push(fresh);
      await fresh.start();
      replaced++;
    }
    const liveList = [...live];
    const from = liveList[Math.floor(net.random() * liveList.length)]!;
    const target = sha256(new Uint8Array([l, l >> 8, opts.seed & 255, 7, (opts.deadFraction ?? 0) * 100, (opts.churnFraction ?? 0) * 100]));
    let result: Awaited<ReturnType<KadNode['lookup']>> | undefined;
    void from.lookup(target).then((r) => (result = r));
    await net.clock.run();
    if (!result) throw new Error('lookup did not finish');
    // Truth: the nodes live while the lookup ran (newcomers join during it, so they count after).
    const truth = liveList.filter((n) => n !== from).map((n) => n.id).sort((a, b) => compareDistance(target, a, b)).slice(0, K).map(toHex);
    for (const j of joiners.splice(0)) live.add(j);
    rounds.push(result.rounds);
    messages += result.messages;
    const got = new Set(result.closest.map((c) => c.idHex));
    recallSum += truth.filter((t) => got.has(t)).length / truth.length;
  }
  const tableSizes = [...live].map((n) => n.table.size);
  rounds.sort((a, b) => a - b);
  return {
    nodes: live.size,
    lookups,
    medianRounds: percentile(rounds, 0.5),
    p95Rounds: percentile(rounds, 0.95),
    messagesPerLookup: Math.round((messages / lookups) * 10) / 10,
    recall: Math.round((recallSum / lookups) * 10000) / 10000,
    minTable: Math.min(...tableSizes),
    meanTable: Math.round(tableSizes.reduce((a, b) => a + b, 0) / tableSizes.length),
  };
}
