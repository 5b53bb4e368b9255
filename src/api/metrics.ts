// Prometheus metrics (GET /metrics, only when the node runs with --metrics). One prom-client
// Registry per server, never the global one, so two nodes in one process (tests, devnet) do not
// share series. Gauges read the chain, mempool and NodeView when scraped; nothing is polled.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Chain } from '../chain/index.js';
import type { Mempool } from '../mempool/index.js';

/** Counters and gauges the rest of the node keeps; the API only reads them at scrape time. */
export interface NodeCounters {
  blocksReceived?: number;
  blocksRelayed?: number;
  txsReceived?: number;
  txsRelayed?: number;
  peersBanned?: number;
  /** Inbound connections closed at accept because their source was over its connect rate. */
  connectsThrottled?: number;
  /** Inbound handshakes refused because the node was over its global handshake budget. */
  handshakesThrottled?: number;
  /** Kademlia lookups run and their rounds, since start. */
  lookups?: number;
  lookupRounds?: number;
  /** 0..1 while syncing; 1 when caught up. */
  syncProgress?: number;
}

export interface MetricsSources {
  chain: Chain;
  mempool: Mempool;
  peers(): { table: number; connected: number };
  hashrate(): number;
  reorgs(): number;
  counters(): NodeCounters;
}

/** Route labels are a fixed set so a scanner cannot grow the label space. */
export const METRIC_ROUTES = new Set(['status', 'stats', 'blocks', 'txs', 'accounts', 'peers', 'tips', 'reorgs', 'mempool', 'events', 'openapi.json', 'metrics', 'lookups', 'propagation']);

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly latency: Histogram<'route' | 'method' | 'status'>;

  constructor(src: MetricsSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    const gauge = (name: string, help: string, read: () => number | undefined): void => {
      new Gauge({
        name, help, registers: [r],
        collect() {
          const v = read();
          if (v !== undefined && Number.isFinite(v)) this.set(v);
        },
      });
    };
    // Node-side totals arrive as numbers; a Counter is reset to them at scrape so the type is right.
    // A series the node does not keep is left out rather than shown as a constant 0.
    const kept = src.counters();
    const counter = (name: string, help: string, read: () => number | undefined, key?: keyof NodeCounters): void => {
      if (key && kept[key] === undefined) return;
      new Counter({
        name, help, registers: [r],
        collect() {
          const v = read();
          if (v === undefined || !Number.isFinite(v)) return;
          this.reset();
          this.inc(v);
        },
      });
    };
    const c = (): NodeCounters => src.counters();
    gauge('kadchain_chain_height', 'Height of the active tip', () => src.chain.tip.height);
    gauge('kadchain_chain_work', 'Cumulative work of the active tip (float; exact value in /api/status)', () => Number(src.chain.tip.work));
    gauge('kadchain_chain_orphans', 'Orphan blocks held', () => src.chain.orphanCount);
    counter('kadchain_chain_reorgs_total', 'Reorganisations since start', () => src.reorgs());
    gauge('kadchain_peers_table', 'Kademlia routing-table entries', () => src.peers().table);
    gauge('kadchain_peers_connected', 'Connected WebSocket peers', () => src.peers().connected);
    if (kept.peersBanned !== undefined) gauge('kadchain_peers_banned', 'Bans in force', () => c().peersBanned);
    gauge('kadchain_mempool_txs', 'Pending transactions', () => src.mempool.size);
    gauge('kadchain_mempool_bytes', 'Encoded bytes of pending transactions', () => src.mempool.totalBytes);
    counter('kadchain_blocks_received_total', 'Block bodies received from peers', () => c().blocksReceived, 'blocksReceived');
    counter('kadchain_blocks_relayed_total', 'Blocks announced to peers', () => c().blocksRelayed, 'blocksRelayed');
    counter('kadchain_txs_received_total', 'Transactions received from peers', () => c().txsReceived, 'txsReceived');
    counter('kadchain_txs_relayed_total', 'Transactions announced to peers', () => c().txsRelayed, 'txsRelayed');
    counter('kadchain_p2p_connects_throttled_total', 'Inbound connections closed at accept: source over its connect rate', () => c().connectsThrottled, 'connectsThrottled');
    counter('kadchain_p2p_handshakes_throttled_total', 'Inbound handshakes closed busy: the node over its global handshake budget', () => c().handshakesThrottled, 'handshakesThrottled');
    counter('kadchain_kad_lookups_total', 'Kademlia lookups run', () => c().lookups, 'lookups');
    counter('kadchain_kad_lookup_rounds_total', 'Rounds over all Kademlia lookups', () => c().lookupRounds, 'lookupRounds');
    if (kept.syncProgress !== undefined) gauge('kadchain_sync_progress', 'Sync progress, 0..1 (1 when caught up)', () => c().syncProgress);
    gauge('kadchain_miner_hashrate', 'Local miner hash rate, H/s', () => src.hashrate());
    this.latency = new Histogram({
      name: 'kadchain_http_request_duration_seconds',
      help: 'HTTP API request latency',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [r],
    });
  }

  /** Starts a request timer; the returned function records it with the final status. */
  time(section: string | undefined, method: string): (status: number) => void {
    const route = section === undefined ? 'page' : METRIC_ROUTES.has(section) ? section : 'other';
    const m = ['GET', 'HEAD', 'POST'].includes(method) ? method : 'other';
    const end = this.latency.startTimer({ route, method: m });
    return (status) => void end({ status: String(status) });
  }

  /** Times one request into the latency histogram, labelled by its API section. */
  observe(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const section = pathname.startsWith('/api/') ? pathname.split('/')[2] : pathname === '/metrics' ? 'metrics' : undefined;
    const done = this.time(section, req.method ?? 'GET');
    res.once('finish', () => done(res.statusCode));
  }

  async text(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }

  async serve(res: ServerResponse): Promise<void> {
    const m = await this.text();
    res.writeHead(200, { 'content-type': m.contentType, 'content-length': Buffer.byteLength(m.body), 'cache-control': 'no-store' });
    res.end(m.body);
  }
}
