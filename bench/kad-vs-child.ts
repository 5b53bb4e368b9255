// One side of the kad.vsBtdht comparison, in its own process: N discovery nodes on real UDP on
// 127.0.0.1 with one bootstrap, either kadchain's KadNode or webtorrent's bittorrent-dht. The same
// harness for both: every datagram either sends passes one counter and one seeded drop (so "2%
// loss" means the same thing), joins are timed until every table holds >= 8 entries, and each
// lookup's answer is scored against the true 8 closest live nodes (recall@8).
// Usage: node kad-vs-child.js <kadchain|btdht> <loss> <nodes> <lookups>; prints one JSON line.
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { KadNode } from '../src/kad/index.js';
import { sha256 } from '../src/crypto/index.js';

const [impl, lossArg, nodesArg, lookupsArg] = process.argv.slice(2);
const LOSS = Number(lossArg ?? 0);
const N = Number(nodesArg ?? 150);
const LOOKUPS = Number(lookupsArg ?? 100);

let state = 0x9e3779b9;
const rand = (): number => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

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

async function recallRun(sides: Side[], live: Side[], idLen: number): Promise<{ recall: number; datagramsPerLookup: number; medianMs: number }> {
  let recallSum = 0;
  const times: number[] = [];
  const before = datagrams;
  for (let l = 0; l < LOOKUPS; l++) {
    const from = live[Math.floor(rand() * live.length)]!;
    const target = new Uint8Array(randomBytes(idLen));
    const truth = live.filter((s) => s !== from).map((s) => s.id).sort((a, b) => xorLess(target, a, b)).slice(0, 8).map(hex);
    const t0 = performance.now();
    const got = new Set((await from.lookup(target)).slice(0, 8).map(hex));
    times.push(performance.now() - t0);
    recallSum += truth.filter((h) => got.has(h)).length / truth.length;
  }
  times.sort((a, b) => a - b);
  void sides;
  return {
    recall: Math.round((recallSum / LOOKUPS) * 1000) / 1000,
    datagramsPerLookup: Math.round(((datagrams - before) / LOOKUPS) * 10) / 10,
    medianMs: Math.round(times[Math.floor(times.length / 2)]! * 10) / 10,
  };
}

const t0 = performance.now();
const sides = impl === 'btdht' ? await btdhtNodes() : await kadchainNodes();
let joinMs: number | null = null;
const deadline = t0 + 30_000;
while (performance.now() < deadline) {
  if (sides.every((s) => s.tableSize() >= 8)) {
    joinMs = Math.round(performance.now() - t0);
    break;
  }
  await new Promise((r) => setTimeout(r, 10));
}
const below8 = sides.filter((s) => s.tableSize() < 8).length;
// Let background joins settle before measuring lookups (both sides get the same pause).
await new Promise((r) => setTimeout(r, 1000));
const idLen = sides[0]!.id.length;
const ideal = await recallRun(sides, sides, idLen);
// 30% of the nodes die (not the bootstrap's role: any node), then the same lookups.
const dead = new Set<Side>();
while (dead.size < Math.floor(N * 0.3)) dead.add(sides[1 + Math.floor(rand() * (N - 1))]!);
for (const s of dead) await s.stop();
const live = sides.filter((s) => !dead.has(s));
const dead30 = await recallRun(sides, live, idLen);
for (const s of live) await s.stop();
process.stdout.write(JSON.stringify({ impl, loss: LOSS, nodes: N, joinMs, below8, ideal, dead30 }) + '\n');
process.exit(0);
