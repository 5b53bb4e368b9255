// The composition root: opens the store and chain, then wires mempool, miner, Kademlia, the
// WebSocket network, gossip and the HTTP API; stops them in reverse order. One function, so the
// CLI, the devnet and the end-to-end tests run exactly the same node.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { genesisFromJson, parseAddress, encodeAddress, KadchainError, type Genesis } from '../core/index.js';
import { Chain } from '../chain/index.js';
import { Mempool } from '../mempool/index.js';
import { Miner } from '../miner/index.js';
import { KadNode } from '../kad/index.js';
import { P2PNetwork, type P2PLimits } from '../p2p/index.js';
import { ApiServer, type PeerEventJson } from '../api/index.js';
import { createLogger, type Logger, type LogLevel } from '../log/index.js';
import { loadOrCreateNodeKey } from './node-key.js';
import { Gossip } from './gossip.js';
import { PropagationRecorder } from './propagation.js';
import { LevelBanStore, LevelTablePersistence } from './persistence.js';

export interface NodeOptions {
  dataDir: string;
  /** Undefined: the package's genesis.json (resolved next to the compiled files). */
  genesisPath?: string;
  host: string;
  port: number;
  apiHost: string;
  apiPort: number;
  /** "host:port" strings. */
  bootstrap: string[];
  mine: boolean;
  /** Serve Prometheus metrics at the API's /metrics. */
  metrics?: boolean;
  minerAddress?: string;
  threads?: number;
  logLevel: string;
  logger?: Logger;
  /** Tests shorten timers (keep-alive, dial interval, refresh). */
  p2pLimits?: Partial<P2PLimits>;
  kadRefreshIntervalMs?: number;
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
  gossip: Gossip;
  api: ApiServer;
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
  const m = /^([^:]+):(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) throw new KadchainError('bad-bootstrap', `expected HOST:PORT for --bootstrap, got ${JSON.stringify(s)}`);
  return { host: m[1]!, port };
}

export async function startNode(opts: NodeOptions): Promise<RunningNode> {
  const log = opts.logger ?? createLogger({ level: opts.logLevel as LogLevel });
  const genesisPath = opts.genesisPath ?? defaultGenesisPath();
  const genesis = loadGenesis(genesisPath);
  const bootstrap = opts.bootstrap.map(parseHostPort);
  const minerAddress = opts.minerAddress ? parseAddress(opts.minerAddress) : undefined;
  if (opts.mine && !minerAddress) throw new KadchainError('no-miner-address', 'mining needs --miner-address (the CLI creates a wallet when none is given)');
  const { key, created } = loadOrCreateNodeKey(opts.dataDir);
  const chain = await Chain.open({ dataDir: join(opts.dataDir, 'chain'), genesis, logger: log });
  const cleanups: (() => Promise<void>)[] = [async () => chain.close()];
  const stopAll = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch((e) => log.warn('stop step failed', { err: String(e) }));
    cleanups.length = 0;
  };
  try {
    const mempool = new Mempool(chain, { logger: log });
    mempool.start();
    cleanups.push(async () => mempool.stop());

    // WebSocket first (port 0 picks a number), then UDP on the same number.
    const net = new P2PNetwork({
      secretKey: key.secretKey, genesis: genesis.id, host: opts.host, port: opts.port, logger: log,
      getTip: () => ({ id: chain.tip.id, height: chain.tip.height, work: chain.tip.work }),
      banStore: new LevelBanStore(chain.store), limits: opts.p2pLimits,
    });
    await net.start();
    cleanups.push(() => net.stop());
    const kad = new KadNode({
      secretKey: key.secretKey, host: opts.host, port: net.port, bootstrap, logger: log,
      persistence: new LevelTablePersistence(chain.store), refreshIntervalMs: opts.kadRefreshIntervalMs,
      randomLookupIntervalMs: opts.kadRefreshIntervalMs,
    });
    const peerEvents = new EventEmitter<{ peer: [PeerEventJson] }>();
    kad.on('peer', (p) => {
      net.addCandidate(p);
      peerEvents.emit('peer', { event: 'discovered', id: p.id, host: p.host, port: p.port });
    });
    net.on('peer:connected', (p) => peerEvents.emit('peer', { event: 'connected', id: p.id, host: p.host, port: p.listenPort }));
    net.on('peer:disconnected', (p, reason) => peerEvents.emit('peer', { event: 'disconnected', id: p.id, host: p.host, port: p.listenPort, reason }));
    net.on('peer:banned', (b) => peerEvents.emit('peer', { event: 'banned', reason: `${b.key}: ${b.reason}` }));
    await kad.start();
    cleanups.push(() => kad.stop());
    // Bootstrap addresses are dialled directly too: discovery may take a moment.
    for (const b of bootstrap) net.addCandidate(b);
    for (const e of kad.tableEntries()) net.addCandidate(e);

    const gossip = new Gossip(chain, mempool, net, log);
    gossip.start();
    cleanups.push(() => gossip.stop());
    const propagation = new PropagationRecorder(chain, net);
    propagation.start();
    cleanups.push(async () => propagation.stop());
    let syncProgress = 1;
    gossip.on('sync-progress', (p) => (syncProgress = p.target > 0 ? Math.min(1, p.height / p.target) : 1));
    gossip.on('synced', () => (syncProgress = 1));

    let miner: Miner | undefined;
    if (opts.mine && minerAddress) {
      miner = new Miner({ chain, mempool, minerAddress, threads: opts.threads, logger: log });
      miner.start();
      cleanups.push(() => miner!.stop());
    }

    const api = new ApiServer({
      chain, mempool, host: opts.apiHost, port: opts.apiPort, logger: log, metrics: opts.metrics === true,
      view: {
        peers: () => ({ table: kad.tableEntries(), connected: net.peerInfos() }),
        bucketFill: () => kad.bucketFill(),
        mining: () => ({ enabled: miner?.enabled ?? false, hashrate: miner?.hashrate ?? 0, address: minerAddress ? encodeAddress(minerAddress) : undefined }),
        syncing: () => gossip.syncing,
        submitTx: (tx) => mempool.add(tx),
        lookups: () => kad.lookups.list(),
        propagation: () => propagation.list(),
        counters: () => ({
          blocksReceived: gossip.stats.bodiesReceived,
          txsReceived: gossip.stats.txsReceived,
          peersBanned: net.stats().bans,
          lookups: kad.lookups.totals().lookups,
          lookupRounds: kad.lookups.totals().rounds,
          syncProgress: gossip.syncing ? syncProgress : 1,
        }),
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
      chain, mempool, miner, kad, net, gossip, api,
      stop: () => (stopping ??= stopAll().then(() => log.info('node stopped'))),
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
