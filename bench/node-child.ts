// One kadchain node in its own process, driven by the bench over IPC, as a node on a real network
// runs: its own event loop, its own libuv pool for LevelDB, its own GC. It reports when it is ready
// and each block it connects, stamped with the wall clock shared by every process on the machine
// (performance.timeOrigin + performance.now()), so arrival times compare across processes.
// Diagnostics for the gossip bench, off unless asked for (they must not perturb the figures):
// `trace` records when each block's header and body arrived here and from whom, when it connected
// and when it was announced onwards (read back after the measurement); `profileDir` profiles the
// node's CPU between the bench's prof-start and prof-stop (the measured phase only, not start-up).
// Usage (fork with IPC): node node-child.js '<ChildConfig as JSON>'
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { startNode, type RunningNode } from '../src/node/index.js';
import { silentLogger } from '../src/log/index.js';
import { blockIdHex } from '../src/core/index.js';
import { processDatagramPool, toHex } from '../src/crypto/index.js';
import { processCryptoGate } from '../src/kad/index.js';
import { threadCpu } from './sync-threads.js';
import { blockIdHexOf } from '../src/p2p/index.js';
import { childOf, tipEntry } from '../test/helpers/chain-helpers.js';

export interface ChildConfig {
  dataDir: string;
  genesisFile: string;
  /** host:port of peers to bootstrap from (Kademlia and first dials). */
  bootstrap: string[];
  /** Record per-block arrival timelines (read with the `trace` command). */
  trace?: boolean;
  /** Write a CPU profile of the phase between `prof-start` and `prof-stop` into this dir. */
  profileDir?: string;
}

/** How one block reached this node (wall-clock ms; peer ids as node ids). */
export interface BlockTrace {
  id: string;
  headerAt?: number;
  headerFrom?: string;
  bodyAt?: number;
  bodyFrom?: string;
  connectedAt?: number;
  announcedAt?: number;
  announcedTo?: number;
  /** The first moment after announcing that this node's event loop was free (a setImmediate). */
  loopFreeAt?: number;
  /** Header announcements of it received (from every peer, the first included). */
  headerMsgs?: number;
  /** When this node asked for its body (first getdata sent). */
  getdataAt?: number;
  /** When this node served its body, per requesting peer id: getdata received and body sent. */
  served?: { peer: string; askedAt: number; sentAt?: number }[];
}

/** bench -> child */
export type ChildCommand =
  | { cmd: 'mine'; tag: string }
  | { cmd: 'stats' }
  | { cmd: 'trace' }
  | { cmd: 'prof-start' }
  | { cmd: 'prof-stop'; name: string }
  | { cmd: 'stop' };

/** child -> bench */
export type ChildReport =
  | { type: 'ready'; port: number; nodeId: string; tip: string }
  | { type: 'block'; id: string; height: number; at: number }
  | { type: 'mined'; id: string; at: number; status: string }
  | { type: 'stats'; bodiesReceived: number; peers: number; tip: string; cpuMs: number; sysMs: number; kad: KadDiag }
  | { type: 'trace'; blocks: BlockTrace[]; kinds: Record<string, number> }
  | { type: 'profiled'; file: string }
  | { type: 'error'; message: string };

/** Discovery's share of a serving process (diagnostics): datagrams, where their crypto ran, the worker. */
export interface KadDiag { received: number; sent: number; table: number; inline: number; offloaded: number; busyTurns: number; peakTurn: number; poolReady: boolean; poolWorkers: number; threads: number }

function kadDiag(node: RunningNode): KadDiag {
  const g = processCryptoGate.stats;
  return {
    received: node.kad.stats.received, sent: node.kad.stats.sent, table: node.kad.tableEntries().length, inline: g.inline, offloaded: g.offloaded, busyTurns: g.busyTurns, peakTurn: g.peakTurn,
    poolReady: processDatagramPool.ready, poolWorkers: processDatagramPool.stats.workers,
    // Only when the diagnostics print it: a /proc read on every stats request would land in the gossip bench's measured CPU.
    threads: process.env.BENCH_SYNC_KAD ? threadCpu('self').size : 0,
  };
}

const wallNow = (): number => performance.timeOrigin + performance.now();
/** CPU this process used so far (user + system, every thread), ms. */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function send(r: ChildReport): void {
  process.send?.(r);
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
  const node: RunningNode = await startNode({
    dataDir: config.dataDir, genesisPath: config.genesisFile, host: '127.0.0.1', port: 0, apiHost: '127.0.0.1', apiPort: 0,
    bootstrap: config.bootstrap, mine: false, threads: 1, logLevel: 'silent', logger: silentLogger,
    p2pLimits: { dialIntervalMs: 200 }, kadRefreshIntervalMs: 10_000, // fast enough to build the mesh in seconds, rare enough not to load the cores while measuring
  });
  // Stamped when the chain emits; reported once the node's own work for the block is done (the
  // IPC write is the harness's, and must not run ahead of the node serving its peers).
  node.chain.on('block', (e) => {
    const r: ChildReport = { type: 'block', id: e.id, height: e.height, at: wallNow() };
    setImmediate(() => send(r));
  });
  const traces = new Map<string, BlockTrace>();
  /** Messages received by kind over the whole run (diagnostics: which wakes a block costs). */
  const kinds: Record<string, number> = {};
  if (config.trace) traceBlocks(node, traces, kinds);
  let session: Session | undefined;
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await node.stop().catch(() => undefined);
    process.exit(0);
  };
  // The bench going away (crash or kill) must not leave this node running.
  process.on('disconnect', () => void stop());
  process.on('message', (m: ChildCommand) => {
    void (async () => {
      try {
        if (m.cmd === 'stop') return await stop();
        if (m.cmd === 'trace') return send({ type: 'trace', blocks: [...traces.values()], kinds: { ...kinds } });
        if (m.cmd === 'prof-start') {
          session = new Session();
          session.connect();
          await session.post('Profiler.enable');
          // Sampling interval (us): every sample interrupts the node, and 12 nodes share two cores, so a
          // fine interval inflates the CPU it measures; BENCH_GOSSIP_PROF_US sets it (default 1000).
          await session.post('Profiler.setSamplingInterval', { interval: Number(process.env.BENCH_GOSSIP_PROF_US ?? 1000) });
          await session.post('Profiler.start');
          return send({ type: 'profiled', file: '' });
        }
        if (m.cmd === 'prof-stop') {
          if (!session || !config.profileDir) return send({ type: 'profiled', file: '' });
          const { profile } = await session.post('Profiler.stop');
          session.disconnect();
          session = undefined;
          const file = join(config.profileDir, `${m.name}.cpuprofile`);
          writeFileSync(file, JSON.stringify(profile));
          return send({ type: 'profiled', file });
        }
        if (m.cmd === 'stats') {
          return send({ type: 'stats', bodiesReceived: node.gossip.stats.bodiesReceived, peers: node.net.peers().length, tip: node.chain.tip.idHex, cpuMs: cpuMs(), sysMs: process.cpuUsage().system / 1000, kad: kadDiag(node) });
        }
        const block = await childOf(node.chain, await tipEntry(node.chain), [], BigInt(m.tag));
        const at = wallNow();
        const r = await node.chain.submitBlock(block);
        send({ type: 'mined', id: blockIdHex(block), at, status: r.status });
      } catch (e) {
        send({ type: 'error', message: (e as Error).message });
      }
    })();
  });
  send({ type: 'ready', port: node.port, nodeId: node.nodeId, tip: node.chain.tip.idHex });
}

/** Bounded: the bench mines a few dozen blocks; anything past the cap is not traced. */
const MAX_TRACED = 1_000;

function traceBlocks(node: RunningNode, traces: Map<string, BlockTrace>, kinds: Record<string, number>): void {
  const get = (id: string): BlockTrace | undefined => {
    let t = traces.get(id);
    if (!t && traces.size < MAX_TRACED) traces.set(id, (t = { id }));
    return t;
  };
  node.net.on('message', (peer, m) => {
    const at = wallNow();
    kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
    if (m.kind === 'headers' && m.headers.length === 1) {
      const t = get(blockIdHexOf(m.headers[0]!));
      if (t) t.headerMsgs = (t.headerMsgs ?? 0) + 1;
      if (t && t.headerAt === undefined) Object.assign(t, { headerAt: at, headerFrom: peer.id });
    } else if (m.kind === 'block') {
      const t = get(blockIdHexOf(m.bytes));
      if (t && t.bodyAt === undefined) Object.assign(t, { bodyAt: at, bodyFrom: peer.id });
    } else if (m.kind === 'getdata') {
      for (const it of m.items) {
        if (it.type !== 'block') continue;
        const t = get(toHex(it.id));
        if (t && (t.served ??= []).length < 64) t.served.push({ peer: peer.id, askedAt: at });
      }
    }
  });
  // What this node sent is not an event: the two sending methods the node uses for getdata and
  // bodies are wrapped (diagnostics only, with tracing on).
  const request = node.net.request.bind(node.net);
  node.net.request = (peer, items) => {
    const at = wallNow();
    for (const it of items) {
      const t = it.type === 'block' ? get(toHex(it.id)) : undefined;
      if (t) t.getdataAt ??= at;
    }
    return request(peer, items);
  };
  const send = node.net.send.bind(node.net);
  node.net.send = (peer, m) => {
    const ok = send(peer, m);
    if (m.kind === 'block') {
      const s = get(blockIdHexOf(m.bytes))?.served?.find((x) => x.peer === peer.id && x.sentAt === undefined);
      if (s) s.sentAt = wallNow();
    }
    return ok;
  };
  // First in line, so the stamp is the moment the chain emitted, whatever the other listeners cost.
  node.chain.prependListener('block', (e) => {
    const t = get(e.id);
    if (t) t.connectedAt ??= wallNow();
  });
  node.gossip.on('announced', (e) => {
    const t = get(e.id);
    if (t && t.announcedAt === undefined) {
      Object.assign(t, { announcedAt: wallNow(), announcedTo: e.peers });
      setImmediate(() => (t.loopFreeAt = wallNow()));
    }
  });
}

main().catch((e: unknown) => {
  send({ type: 'error', message: (e as Error).message });
  process.exit(1);
});
