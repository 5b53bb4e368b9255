// A developer's profile of kadchain discovery on real UDP (not part of `npm run bench`): N nodes in
// one process on 127.0.0.1 join one bootstrap, settle, then run sequential lookups. For the join and
// for the lookup phase separately it prints datagrams by packet type, process CPU, and (with
// `--cpu`) the top self-time functions of a V8 CPU profile taken over that phase alone.
// Usage: node dist/bench/kad-profile.js [nodes=150] [lookups=100] [--cpu]
import dgram from 'node:dgram';
import { readdirSync, readFileSync } from 'node:fs';
import { Session, type Profiler } from 'node:inspector';
import { KadNode } from '../src/kad/index.js';
import { sha256 } from '../src/crypto/index.js';
import { prng } from '../test/helpers/fixtures.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const N = Number(args[0] ?? 150);
const LOOKUPS = Number(args[1] ?? 100);
const CPU = process.argv.includes('--cpu');
const TYPES = ['?', 'ping', 'pong', 'find-node', 'nodes', 'store', 'find-value', 'value'];
/** Offset of the packet type byte: magic (2), version, request id (8), expiry (8), sender key (32). */
const TYPE_AT = 51;

let byType: Record<string, number> = {};
const origSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function counted(this: dgram.Socket, ...a: unknown[]): void {
  const msg = a[0] as Uint8Array;
  const t = TYPES[msg[TYPE_AT] ?? 0] ?? '?';
  byType[t] = (byType[t] ?? 0) + 1;
  (origSend as (...x: unknown[]) => void).apply(this, a);
} as typeof dgram.Socket.prototype.send;

const rand = prng(0x1234567);

const session = new Session();
session.connect();
const post = <T>(method: string, params?: object): Promise<T> =>
  new Promise((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));

/** Self time per function (ms, share of the samples), the top `n`. */
function topSelf(p: Profiler.Profile, n = 40): string[] {
  const self = new Map<string, number>();
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const counts = new Map<number, number>();
  for (const s of p.samples ?? []) counts.set(s, (counts.get(s) ?? 0) + 1);
  let total = 0;
  for (const [id, c] of counts) {
    const node = byId.get(id)!;
    const f = node.callFrame;
    const file = f.url.split('/').slice(-2).join('/');
    const key = `${f.functionName || '(anon)'} ${file}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + c);
    total += c;
  }
  return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, c]) => `${((100 * c) / total).toFixed(1).padStart(5)}% ${k}`);
}

/**
 * Shares of the busy samples (idle excluded) by kind: native crypto (node's sign/verify jobs run
 * as `run`), the native UDP send, GC, other native or engine work, and JavaScript (node's own lib
 * included, e.g. dgram's send path).
 */
function kinds(p: Profiler.Profile): Record<string, number> {
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const out: Record<string, number> = { crypto: 0, udpSend: 0, gc: 0, otherNative: 0, js: 0 };
  let busy = 0;
  for (const s of p.samples ?? []) {
    const f = byId.get(s)!.callFrame;
    if (f.functionName === '(idle)') continue;
    busy++;
    const native = f.url === '';
    const k = f.functionName === '(garbage collector)' ? 'gc'
      : native && ['run', 'SignJob', 'init', 'export'].includes(f.functionName) ? 'crypto'
      : native && f.functionName === 'send' ? 'udpSend'
      : native ? 'otherNative' : 'js';
    out[k]!++;
  }
  for (const k of Object.keys(out)) out[k] = Math.round((1000 * out[k]!) / Math.max(1, busy)) / 10;
  return out;
}

/** JavaScript self time by file (share of the busy samples), the top `n`. */
function jsFiles(p: Profiler.Profile, n = 12): Record<string, number> {
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const out = new Map<string, number>();
  let busy = 0;
  for (const s of p.samples ?? []) {
    const f = byId.get(s)!.callFrame;
    if (f.functionName === '(idle)') continue;
    busy++;
    if (!f.url) continue;
    const file = f.url.startsWith('node:') ? f.url : f.url.split('/').slice(-2).join('/');
    out.set(file, (out.get(file) ?? 0) + 1);
  }
  return Object.fromEntries([...out.entries()].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, c]) => [k, Math.round((1000 * c) / Math.max(1, busy)) / 10]));
}

const nodes: KadNode[] = [];

/**
 * CPU ms of this process's main thread and of its other threads together (the datagram worker,
 * libuv's pool, V8's GC helpers), from /proc; undefined where there is no /proc.
 */
function threadCpuMs(): { main: number; others: number } | undefined {
  try {
    let main = 0;
    let others = 0;
    for (const t of readdirSync('/proc/self/task')) {
      const st = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const ms = ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
      if (Number(t) === process.pid) main += ms;
      else others += ms;
    }
    return { main, others };
  } catch {
    return undefined;
  }
}

async function phase<T>(name: string, run: () => Promise<T>, per: number): Promise<T> {
  byType = {};
  if (CPU) {
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 100 });
    await post('Profiler.start');
  }
  const pingBacks0 = nodes.reduce((a, n) => a + n.stats.pingBacks, 0);
  const threads0 = threadCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await run();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const out: Record<string, unknown> = {
    phase: name, wallMs: Math.round(wall), cpuMsPer: Math.round(((cpu.user + cpu.system) / 1000 / per) * 100) / 100,
    datagramsPer: Object.fromEntries(Object.entries(byType).map(([k, v]) => [k, Math.round((v / per) * 10) / 10])),
    datagramsTotalPer: Math.round((Object.values(byType).reduce((a, b) => a + b, 0) / per) * 10) / 10,
    // Of the PINGs: ping-backs (an asker's endpoint proof; each one a PONG too) and the rest
    // (revalidation, bucket-full checks, joins).
    pingBacksPer: Math.round(((nodes.reduce((a, n) => a + n.stats.pingBacks, 0) - pingBacks0) / per) * 10) / 10,
  };
  const threads1 = threadCpuMs();
  // Threads that ended during the phase drop out of /proc: "others" is then a lower bound.
  if (threads0 && threads1) out.threadCpuMs = { main: threads1.main - threads0.main, others: Math.max(0, threads1.others - threads0.others) };
  if (CPU) {
    const { profile } = await post<{ profile: Profiler.Profile }>('Profiler.stop');
    out.kinds = kinds(profile);
    out.jsFiles = jsFiles(profile);
    out.top = topSelf(profile);
  }
  process.stdout.write(JSON.stringify(out, null, 1) + '\n');
  return r;
}

const mk = async (i: number, boot?: number): Promise<KadNode> => {
  const n = new KadNode({ secretKey: sha256(new Uint8Array([0x76, i, i >> 8])), host: '127.0.0.1', port: 0, bootstrap: boot ? [{ host: '127.0.0.1', port: boot }] : [], revalidateNewMs: 3000 });
  await n.start();
  return n;
};

await phase('join', async () => {
  const boot = await mk(0);
  nodes.push(boot);
  for (let i = 1; i < N; i++) nodes.push(await mk(i, boot.port));
  for (let t = 0; t < 2000 && nodes.some((n) => n.table.size < 8); t++) await new Promise((r) => setTimeout(r, 10));
}, N);
// Settle: until the network is quiet (as kad-vs-child does), at most 10 s.
await new Promise((r) => setTimeout(r, 1000));
for (let i = 0; i < 20; i++) {
  byType = {};
  await new Promise((r) => setTimeout(r, 500));
  if (Object.values(byType).reduce((a, b) => a + b, 0) < N / 2) break;
}
const times: number[] = [];
await phase('lookups', async () => {
  for (let i = 0; i < LOOKUPS; i++) {
    const from = nodes[Math.floor(rand() * N)]!;
    const target = Uint8Array.from({ length: 32 }, () => Math.floor(rand() * 256));
    const t0 = performance.now();
    await from.lookup(target);
    times.push(performance.now() - t0);
  }
}, LOOKUPS);
times.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ medianMsPerLookup: Math.round(times[times.length >> 1]! * 10) / 10 }) + '\n');
await Promise.all(nodes.map((n) => n.stop()));
process.exit(0);
