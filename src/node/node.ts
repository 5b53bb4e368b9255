// The composition root: opens the store and chain, then wires mempool, miner, Kademlia, the
// WebSocket network, sync, relay, serving and the HTTP API; stops them in reverse order. One function, so the
// CLI, the devnet and the end-to-end tests run exactly the same node.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSocket } from 'node:dgram';
import { createServer, isIPv6 } from 'node:net';
import { genesisFromJson, parseAddress, encodeAddress, KadchainError, type Genesis } from '../core/index.js';
import { Chain, type SideBranchLimits } from '../chain/index.js';
import { ChainStore } from '../store/index.js';
import { Mempool, type MempoolLimits } from '../mempool/index.js';
import { Miner, type MinerImpl } from '../miner/index.js';
import { KadNode } from '../kad/index.js';
import { P2PNetwork, type P2PLimits } from '../p2p/index.js';
import { SyncService, type SyncOptions } from '../sync/index.js';
import { ApiServer, type PeerEventJson } from '../api/index.js';
import { createLogger, type Logger, type LogLevel } from '../log/index.js';
import { loadOrCreateNodeKey } from './node-key.js';
import { Relay } from './relay.js';
import type { TxAdmissionLimits } from './tx-admission.js';
import { Serving } from './serving.js';
import { chargePeer, p2pPenalties } from './penalties.js';
import { PropagationRecorder } from './propagation.js';
import { LevelBanStore, LevelTablePersistence } from './persistence.js';
import { NodeHealth } from './health.js';

export interface NodeOptions {
  dataDir: string;
  /** Undefined: the package's genesis.json (resolved next to the compiled files). */
  genesisPath?: string;
  host: string;
  port: number;
  apiHost: string;
  apiPort: number;
  /** Host names the API answers besides loopback and its bound address (`--api-allow-host`). */
  apiAllowHosts?: string[];
  /** "host:port" strings. */
  bootstrap: string[];
  mine: boolean;
  /** Serve Prometheus metrics at the API's /metrics. */
  metrics?: boolean;
  minerAddress?: string;
  threads?: number;
  /** Mining hot loop (default wasm). */
  minerImpl?: MinerImpl;
  logLevel: string;
  logger?: Logger;
  /** Tests shorten timers (keep-alive, dial interval, refresh). */
  p2pLimits?: Partial<P2PLimits>;
  kadRefreshIntervalMs?: number;
  /** Mempool policy (e.g. minRelayFeeRate, the fee-rate floor); defaults per DESIGN.md. */
  mempoolLimits?: Partial<MempoolLimits>;
  /** Tests shorten sync timers (stall floor, tick). */
  syncOptions?: Partial<Pick<SyncOptions, 'window' | 'maxHeaders' | 'maxLowWorkHeadersPerPeer' | 'maxStrayAnnouncements' | 'tickMs'>>;
  /** Free bytes under the data dir below which the node acts as if the disk were full (default 64 MiB; 0 disables). */
  freeSpaceFloorBytes?: number;
  /** How often free space and, while unhealthy, a probe write are checked (default 3 s). */
  healthCheckMs?: number;
  /** Blocks below the tip checked in full at start (default 288). */
  checkDepth?: number;
  /** Damage found at start: 'heal' (default) rolls back to the last intact block and re-syncs; 'refuse' stops. */
  onDamage?: 'heal' | 'refuse';
  /** Validation work each peer may cause (token bucket of txs); defaults in tx-admission.ts. */
  txAdmission?: Partial<TxAdmissionLimits>;
  /** Side-branch storage: work distance, fork depth, prune depth (defaults in chain/side-branches.ts). */
  sideBranches?: Partial<SideBranchLimits>;
}

export interface RunningNode {
  apiUrl: string;
  port: number;
  apiPort: number;
  nodeId: string;
  minerAddress?: string;
  chain: Chain;
  mempool: Mempool;
  miner?: Miner;
  kad: KadNode;
  net: P2PNetwork;
  sync: SyncService;
  /** Relay of tips and transactions (`gossip.stats` counts bodies and txs received). */
  gossip: Relay;
  serving: Serving;
  api: ApiServer;
  health: NodeHealth;
  stop(): Promise<void>;
}

/** genesis.json at the package root (two levels above dist/src/node). */
export function defaultGenesisPath(): string {
  return resolve(fileURLToPath(new URL('../../../genesis.json', import.meta.url)));
}

export function loadGenesis(path: string): Genesis {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new KadchainError('bad-genesis', `${path}: cannot read genesis file: ${(e as Error).message}`);
  }
  return genesisFromJson(json, path);
}

export function parseHostPort(s: string): { host: string; port: number } {
  // HOST:PORT, or [IPv6]:PORT.
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]+)):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw new KadchainError('bad-bootstrap', `expected HOST:PORT or [IPv6]:PORT for --bootstrap, got ${JSON.stringify(s)}`);
  return { host: (m[1] ?? m[2])!, port };
}

export async function startNode(opts: NodeOptions): Promise<RunningNode> {
  const log = opts.logger ?? createLogger({ level: opts.logLevel as LogLevel });
  const genesisPath = opts.genesisPath ?? defaultGenesisPath();
  const genesis = loadGenesis(genesisPath);
  const bootstrap = opts.bootstrap.map(parseHostPort);
  const minerAddress = opts.minerAddress ? parseAddress(opts.minerAddress) : undefined;
  if (opts.mine && !minerAddress) throw new KadchainError('no-miner-address', 'mining needs --miner-address (the CLI creates a wallet when none is given)');
  const { key, created } = loadOrCreateNodeKey(opts.dataDir);
  const store = await ChainStore.open({ dataDir: join(opts.dataDir, 'chain'), genesisId: genesis.id });
  const chain = await Chain.open(store, genesis, { logger: log, checkDepth: opts.checkDepth, onDamage: opts.onDamage ?? 'heal', sideBranches: opts.sideBranches }).catch(async (e: unknown) => { await store.close(); throw e; });
  const cleanups: (() => Promise<void>)[] = [async () => store.close(), async () => chain.close()];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch((e) => log.warn('stop step failed', { err: String(e) }));
    cleanups.length = 0;
  };
  try {
    const mempool = new Mempool(chain, { logger: log, limits: opts.mempoolLimits });
    mempool.start();
    cleanups.push(async () => mempool.stop());

    // WebSocket and UDP share one port number; port 0 picks one free for both.
    const port = opts.port === 0 ? await freeDualPort(opts.host) : opts.port;
    const net = new P2PNetwork({
      secretKey: key.secretKey, genesis: genesis.id, host: opts.host, port, logger: log,
      getTip: () => ({ id: chain.tip.id, height: chain.tip.height, work: chain.tip.work }),
      banStore: new LevelBanStore(chain.store), limits: opts.p2pLimits, penalties: p2pPenalties(),
    });
    await net.start();
    cleanups.push(() => net.stop());
    const kad = new KadNode({
      secretKey: key.secretKey, host: opts.host, port: net.port, bootstrap, logger: log,
      persistence: new LevelTablePersistence(chain.store), refreshIntervalMs: opts.kadRefreshIntervalMs,
      randomLookupIntervalMs: opts.kadRefreshIntervalMs, networkId: genesis.id,
      networkLookupIntervalMs: opts.kadRefreshIntervalMs,
    });
    const peerEvents = new EventEmitter<{ peer: [PeerEventJson] }>();
    // Peers of our own network come from the network record in the DHT, looked up first; any
    // discovered node is a candidate only while that lookup finds none (a shared DHT holds other
    // networks too).
    kad.on('network-peer', (p) => net.addCandidate(p));
    kad.on('peer', (p) => {
      if (kad.networkRecordsMissing) net.addCandidate(p);
      peerEvents.emit('peer', { event: 'discovered', id: p.id, host: p.host, port: p.port });
    });
    net.on('peer:connected', (p) => kad.offer(p.host, p.listenPort));
    net.on('peer:connected', (p) => peerEvents.emit('peer', { event: 'connected', id: p.id, host: p.host, port: p.listenPort }));
    net.on('peer:disconnected', (p, reason) => peerEvents.emit('peer', { event: 'disconnected', id: p.id, host: p.host, port: p.listenPort, reason }));
    net.on('peer:banned', (b) => peerEvents.emit('peer', { event: 'banned', reason: `${b.key}: ${b.reason}` }));
    await kad.start();
    cleanups.push(() => kad.stop());
    // Bootstrap addresses are dialled directly too: discovery may take a moment.
    for (const b of bootstrap) net.addCandidate(b);
    for (const e of kad.tableEntries()) net.addCandidate(e);

    // Sync, relay and serving share the network; every refusal is priced by the one penalty table.
    const sync = new SyncService({ chain, net, logger: log, onRefusal: (p, reason, detail) => chargePeer(net, p, reason, detail), ...opts.syncOptions });
    const gossip = new Relay(chain, mempool, net, sync, (p, reason, detail) => chargePeer(net, p, reason, detail), log, opts.txAdmission);
    const serving = new Serving(chain, mempool, net, log);
    serving.start();
    gossip.start();
    sync.start();
    cleanups.push(async () => serving.stop());
    cleanups.push(async () => gossip.stop());
    cleanups.push(() => sync.stop());
    const propagation = new PropagationRecorder(chain, net);
    propagation.start();
    cleanups.push(async () => propagation.stop());

    let miner: Miner | undefined;
    if (opts.mine && minerAddress) {
      miner = new Miner({ chain, mempool, minerAddress, threads: opts.threads, impl: opts.minerImpl, logger: log });
      miner.start();
      cleanups.push(() => miner!.stop());
    }

    // On a failed write the writers pause (reads keep being served) until a probe write succeeds.
    const health = new NodeHealth({
      store, dataDir: opts.dataDir, logger: log, freeSpaceFloorBytes: opts.freeSpaceFloorBytes, checkIntervalMs: opts.healthCheckMs,
      pause: async () => {
        await miner?.stop();
        await sync.stop();
        await gossip.stop();
      },
      resume: async () => {
        gossip.start();
        sync.start();
        miner?.start();
      },
    });
    health.start();
    const onDamage = (m: string): void => health.noteDamage(m);
    chain.on('store-damaged', onDamage);
    cleanups.push(async () => {
      chain.off('store-damaged', onDamage);
      await health.stop();
    });

    const api = new ApiServer({
      chain, mempool, host: opts.apiHost, port: opts.apiPort, allowHosts: opts.apiAllowHosts, logger: log, metrics: opts.metrics === true,
      view: {
        peers: () => ({ table: kad.tableEntries(), connected: net.peerInfos() }),
        bucketFill: () => kad.bucketFill(),
        mining: () => ({ enabled: miner?.enabled ?? false, hashrate: miner?.hashrate ?? 0, address: minerAddress ? encodeAddress(minerAddress) : undefined }),
        syncing: () => sync.syncing,
        syncProgress: () => sync.progress(),
        health: () => ({ ok: health.ok, problems: health.problems() }),
        submitTx: (tx) => mempool.add(tx),
        lookups: () => kad.lookups.list(),
        propagation: () => propagation.list(),
        counters: () => {
          const p2p = net.stats();
          return {
            blocksReceived: gossip.stats.bodiesReceived,
            txsReceived: gossip.stats.txsReceived,
            blocksRelayed: gossip.stats.blocksRelayed,
            txsRelayed: gossip.stats.txsRelayed,
            peersBanned: p2p.bans,
            connectsThrottled: p2p.connectsThrottled,
            handshakesThrottled: p2p.handshakesThrottled,
            lookups: kad.lookups.totals().lookups,
            lookupRounds: kad.lookups.totals().rounds,
            syncProgress: sync.syncing ? syncFraction(sync.progress()) : 1,
          };
        },
        events: peerEvents,
      },
    });
    await api.start();
    cleanups.push(() => api.stop());

    log.info('node started', {
      nodeId: net.nodeId, p2p: `${opts.host}:${net.port}`, api: api.url, height: chain.tip.height, genesis: genesis.idHex,
      mining: !!miner, newNodeKey: created, dataDir: opts.dataDir,
    });
    let stopping: Promise<void> | undefined;
    return {
      apiUrl: api.url, port: net.port, apiPort: api.port, nodeId: net.nodeId, minerAddress: minerAddress ? encodeAddress(minerAddress) : undefined,
      chain, mempool, miner, kad, net, sync, gossip, serving, api, health,
      stop: () => (stopping ??= stopAll().then(() => log.info('node stopped'))),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** Connected blocks over checked headers, 0..1 (the metrics' sync progress). */
function syncFraction(p: { headers: number; blocks: number }): number {
  return p.headers > 0 ? Math.min(1, p.blocks / p.headers) : 1;
}

/**
 * A port number free for both UDP and TCP on `host`. The OS picks a free UDP port and the TCP
 * listener is tried on the same number, so the Kademlia socket cannot collide with another
 * process's UDP port after the WebSocket listener took a TCP-only free number. Retried a few times.
 */
async function freeDualPort(host: string): Promise<number> {
  let last: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((res, rej) => {
        udp.once('error', rej);
        udp.bind(0, host, () => res());
      });
      const port = udp.address().port;
      const tcp = createServer();
      const ok = await new Promise<boolean>((res) => {
        tcp.once('error', () => res(false));
        tcp.listen(port, host, () => res(true));
      });
      if (ok) await new Promise<void>((res) => tcp.close(() => res()));
      if (ok) return port;
    } catch (e) {
      last = e;
    } finally {
      try {
        udp.close();
      } catch {
        // never bound
      }
    }
  }
  throw new KadchainError('port-unavailable', `no port free for both UDP and TCP on ${host}: ${String(last ?? 'all tried were taken')}`);
}
