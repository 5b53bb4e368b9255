// One side of the kad.vsBtdht comparison, in its own process: N discovery nodes on real UDP on
// 127.0.0.1 with one bootstrap, either kadchain's KadNode or webtorrent's bittorrent-dht. The same
// harness for both: every datagram either sends passes one counter and one seeded drop (so "2%
// loss" means the same thing), joins are timed until every table holds >= 8 entries, and each
// lookup's answer is scored against the true 8 closest live nodes (recall@8).
// Every phase has a deadline; the child always prints one JSON line, with `error` when a phase ran out.
// Usage: node kad-vs-child.js <kadchain|btdht|kadchain-noproof> <loss> <nodes> <lookups> [ideal,dead30 | join]; prints one JSON line.
// kadchain-noproof (by hand, not in `npm run bench`) is kadchain with the endpoint proof off (every
// (id, IP) counts as bonded, so no ping-backs): what the proof costs the join and each lookup.
import dgram from 'node:dgram';
import { KadNode } from '../src/kad/index.js';
import { sha256 } from '../src/crypto/index.js';
import { prng } from '../test/helpers/fixtures.js';

const [impl, lossArg, nodesArg, lookupsArg, phasesArg] = process.argv.slice(2);
const LOSS = Number(lossArg ?? 0);
const N = Number(nodesArg ?? 150);
const LOOKUPS = Number(lookupsArg ?? 100);
const PHASES = (phasesArg ?? 'ideal,dead30').split(',');
/** Phase deadlines (ms): join (all tables >= 8), each lookup phase, one lookup, the whole child. */
const JOIN_MS = 20_000;
const LOOKUP_PHASE_MS = 30_000;
const PER_LOOKUP_MS = 10_000;
const TOTAL_MS = 120_000;
const SETTLE_MAX_MS = 10_000;
const DEAD_CONCURRENCY = 10;

const rand = prng(0x9e3779b9);

// One counter and one drop for every datagram sent by either implementation.
let datagrams = 0;
const origSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function patched(this: dgram.Socket, ...args: unknown[]): void {
  datagrams++;
  if (LOSS > 0 && rand() < LOSS) {
    const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined;
    cb?.();
    return;
  }
  (origSend as (...a: unknown[]) => void).apply(this, args);
} as typeof dgram.Socket.prototype.send;

interface Side {
  id: Uint8Array;
  tableSize(): number;
  /** Ids of the closest nodes that answered, best first. */
  lookup(target: Uint8Array): Promise<Uint8Array[]>;
  stop(): Promise<void>;
  /**
   * kadchain only: ping-backs sent so far (bonds.ts: a query from an (id, IP) we never verified
   * costs a PING and a PONG before its answer) and the (id, IP)s that answered our PING (bonded).
   */
  bonds?(): { pingBacks: number; bonded: number };
}

function xorLess(target: Uint8Array, a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < target.length; i++) {
    const d = (a[i]! ^ target[i]!) - (b[i]! ^ target[i]!);
    if (d) return d;
  }
  return 0;
}
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

async function kadchainNodes(): Promise<Side[]> {
  const sides: Side[] = [];
  const mk = async (i: number, boot?: number): Promise<KadNode> => {
    const n = new KadNode({
      secretKey: sha256(new Uint8Array([0x76, i, i >> 8])), host: '127.0.0.1', port: 0,
      bootstrap: boot ? [{ host: '127.0.0.1', port: boot }] : [], revalidateNewMs: 3000,
      endpointProof: impl !== 'kadchain-noproof',
    });
    await n.start();
    return n;
  };
  const boot = await mk(0);
  const all = [boot];
  for (let i = 1; i < N; i++) all.push(await mk(i, boot.port));
  for (const n of all) {
    sides.push({
      id: n.id,
      tableSize: () => n.table.size,
      lookup: async (t) => (await n.lookup(t)).closest.map((c) => c.id),
      stop: () => n.stop(),
      bonds: () => ({ pingBacks: n.stats.pingBacks, bonded: n.sourceState.verified }),
    });
  }
  return sides;
}

interface BtDht {
  nodeId: Buffer;
  listen(port: number, host: string, cb: () => void): void;
  address(): { port: number };
  toJSON(): { nodes: unknown[] };
  destroy(cb: () => void): void;
  _rpc: { id: Buffer; closest(target: Buffer, msg: object, visit: (res: { r?: { id?: Buffer } }, peer: unknown) => boolean | void, cb: (err: unknown) => void): void };
}

async function btdhtNodes(): Promise<Side[]> {
  const name = 'bittorrent-dht';
  const DHT = ((await import(name)) as { default: new (opts: object) => BtDht }).default;
  const mk = async (boot?: number): Promise<BtDht> => {
    const d = new DHT({ bootstrap: boot ? [`127.0.0.1:${boot}`] : false, host: '127.0.0.1' });
    await new Promise<void>((r) => d.listen(0, '127.0.0.1', () => r()));
    return d;
  };
  const boot = await mk();
  const all = [boot];
  for (let i = 1; i < N; i++) all.push(await mk(boot.address().port));
  return all.map((d) => ({
    id: new Uint8Array(d.nodeId),
    tableSize: () => d.toJSON().nodes.length,
    lookup: (t) => new Promise<Uint8Array[]>((resolve) => {
      const answered: Uint8Array[] = [];
      d._rpc.closest(Buffer.from(t), { q: 'find_node', a: { id: d._rpc.id, target: Buffer.from(t) } }, (res) => {
        if (res.r?.id && res.r.id.length === 20) answered.push(new Uint8Array(res.r.id));
        return true;
      }, () => resolve(answered.sort((a, b) => xorLess(t, a, b))));
    }),
    stop: () => new Promise<void>((r) => d.destroy(() => r())),
  }));
}

/** Lookups run `concurrency` at a time; each one is bounded by `perLookupMs`, the whole run by `deadline`. */
async function recallRun(live: Side[], idLen: number, concurrency: number, deadline: number): Promise<RecallFigures> {
  let recallSum = 0;
  let done = 0;
  let timedOut = 0;
  const times: number[] = [];
  const before = datagrams;
  const pingBacks = (): number => live.reduce((s, x) => s + (x.bonds?.().pingBacks ?? 0), 0);
  const pingBacksBefore = pingBacks();
  // Targets and askers drawn up front from the seeded PRNG: the same lookups whatever the concurrency.
  const plan = Array.from({ length: LOOKUPS }, () => ({ from: live[Math.floor(rand() * live.length)]!, target: Uint8Array.from({ length: idLen }, () => Math.floor(rand() * 256)) }));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.length && performance.now() < deadline) {
      const { from, target } = plan[next++]!;
      const truth = live.filter((s) => s !== from).map((s) => s.id).sort((a, b) => xorLess(target, a, b)).slice(0, 8).map(hex);
      const t0 = performance.now();
      const got = await withTimeout(from.lookup(target), Math.min(PER_LOOKUP_MS, Math.max(1, deadline - t0)));
      if (!got) timedOut++;
      times.push(performance.now() - t0);
      const ids = new Set((got ?? []).slice(0, 8).map(hex));
      recallSum += truth.filter((h) => ids.has(h)).length / truth.length;
      done++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, () => worker()));
  times.sort((a, b) => a - b);
  return {
    lookups: done,
    recall: done ? Math.round((recallSum / done) * 1000) / 1000 : 0,
    datagramsPerLookup: done ? Math.round(((datagrams - before) / done) * 10) / 10 : 0,
    medianMs: done ? Math.round(times[Math.floor(times.length / 2)]! * 10) / 10 : 0,
    // What the endpoint proof costs a lookup: each ping-back is a PING and a PONG on top of the
    // FIND_NODE and NODES (counted by every node, asked and asking; 0 for bittorrent-dht).
    ...(live[0]?.bonds ? { pingBacksPerLookup: done ? Math.round(((pingBacks() - pingBacksBefore) / done) * 10) / 10 : 0 } : {}),
    ...(timedOut ? { timedOut } : {}),
  };
}

/**
 * The join, node by node: percentiles of time-to-8 entries, the slowest nodes' start order (index
 * 0 is the bootstrap; a tail made of the last-started nodes points at a queue, one spread over all
 * indexes at timers or losses), and datagrams sent per node until every table held 8.
 */
function joinTimeline(reached: (number | undefined)[], joinDatagrams: number): Record<string, unknown> {
  const ms = reached.filter((r): r is number => r !== undefined).sort((a, b) => a - b);
  const at = (q: number): number | undefined => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
  const slowest = reached.map((r, i) => ({ i, r: r ?? Infinity })).sort((a, b) => b.r - a.r).slice(0, 5).map((x) => x.i);
  return { p10: at(0.1), p50: at(0.5), p90: at(0.9), max: ms.length === reached.length ? at(1) : null, slowest, datagramsPerNode: Math.round((joinDatagrams / reached.length) * 10) / 10 };
}

interface RecallFigures { lookups: number; recall: number; datagramsPerLookup: number; medianMs: number; pingBacksPerLookup?: number; timedOut?: number }

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, () => { clearTimeout(t); resolve(undefined); });
  });
}

// Whatever happens, one JSON line goes out: the figures so far, and `error` naming the phase that
// did not finish (a stalled phase is reported, never silently lost to the parent's kill).
const result: Record<string, unknown> = { impl, loss: LOSS, nodes: N, joinMs: null };
let phase = 'start';
let printed = false;
const report = (error?: string): void => {
  if (printed) return;
  printed = true;
  process.stdout.write(JSON.stringify(error ? { ...result, error } : result) + '\n');
};
const bail = (why: string): never => {
  report(why);
  process.exit(0);
};
process.on('SIGTERM', () => bail(`stopped by the parent during ${phase}`));
setTimeout(() => bail(`child cap of ${TOTAL_MS} ms reached during ${phase}`), TOTAL_MS).unref();

const t0 = performance.now();
phase = 'build';
const sides = impl === 'btdht' ? await btdhtNodes() : await kadchainNodes();
result.buildMs = Math.round(performance.now() - t0);
phase = 'join';
const joinDeadline = t0 + JOIN_MS;
// Per node: when its table first held >= 8 (ms since t0), sampled with the same 10 ms poll.
const reached: (number | undefined)[] = sides.map(() => undefined);
const joinDatagramsFrom = 0; // the joins start during the build
while (performance.now() < joinDeadline) {
  const now = Math.round(performance.now() - t0);
  sides.forEach((s, i) => {
    if (reached[i] === undefined && s.tableSize() >= 8) reached[i] = now;
  });
  if (reached.every((r) => r !== undefined)) {
    result.joinMs = now;
    break;
  }
  await new Promise((r) => setTimeout(r, 10));
}
result.below8 = sides.filter((s) => s.tableSize() < 8).length;
result.joinTimeline = joinTimeline(reached, datagrams - joinDatagramsFrom);
// Phases `join` alone: stop here (e.g. to profile the join without the settle and the lookups).
if (PHASES.length === 1 && PHASES[0] === 'join') {
  report();
  process.exit(0);
}
// Let the joins finish before measuring lookups, the same rule for both sides: at least 1 s, then
// until the network is quiet (under one datagram per node per second over half a second), at most
// SETTLE_MAX_MS. A fixed 1 s pause counted the tails of kadchain's joins (a self lookup and a bucket
// refresh per node, still running after every table held 8) as the cost of the measured lookups.
phase = 'settle';
const settleFrom = performance.now();
await new Promise((r) => setTimeout(r, 1000));
for (;;) {
  const before = datagrams;
  await new Promise((r) => setTimeout(r, 500));
  if (datagrams - before < N / 2 || performance.now() - settleFrom > SETTLE_MAX_MS) break;
}
result.settleMs = Math.round(performance.now() - settleFrom);
const idLen = sides[0]!.id.length;
// How many of its peers each node has verified when the lookups start: a lookup's k closest are
// unbonded with the asker in about this share's complement, and each of those costs a ping-back.
if (sides[0]!.bonds) {
  const bonded = sides.reduce((s, x) => s + x.bonds!().bonded, 0) / sides.length;
  result.bondedShare = Math.round((bonded / (N - 1)) * 1000) / 1000;
}
phase = 'ideal lookups';
// One lookup at a time: the latency of a lookup, not of a queue of them.
result.ideal = await recallRun(sides, idLen, 1, performance.now() + LOOKUP_PHASE_MS);
if (PHASES.includes('dead30')) {
  // 30% of the nodes die (any node but the bootstrap), then the same number of lookups, several at
  // once: a dead node costs each side its own timeouts, and the phase must not take minutes.
  phase = 'dead30 lookups';
  const dead = new Set<Side>();
  while (dead.size < Math.floor(N * 0.3)) dead.add(sides[1 + Math.floor(rand() * (N - 1))]!);
  for (const s of dead) await s.stop();
  const live = sides.filter((s) => !dead.has(s));
  result.dead30 = await recallRun(live, idLen, DEAD_CONCURRENCY, performance.now() + LOOKUP_PHASE_MS);
}
phase = 'stop';
await withTimeout(Promise.all(sides.map((s) => s.stop().catch(() => undefined))), 5000);
const doneIdeal = (result.ideal as RecallFigures).lookups;
const doneDead = (result.dead30 as RecallFigures | undefined)?.lookups ?? LOOKUPS;
const short = [doneIdeal < LOOKUPS ? `ideal ${doneIdeal}/${LOOKUPS}` : '', doneDead < LOOKUPS ? `dead30 ${doneDead}/${LOOKUPS}` : ''].filter(Boolean);
report(short.length ? `lookups finished within the ${LOOKUP_PHASE_MS / 1000} s phase deadline: ${short.join(', ')}` : undefined);
process.exit(0);
