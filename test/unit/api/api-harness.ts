// Test harness for the API: a real Chain on a real LevelDB temp dir, a real Mempool, and a real
// ApiServer on 127.0.0.1 port 0. Also small helpers to mine mempool transactions into a block and
// to read events from the WebSocket. Shared by the api and cli tests.
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { WebSocket } from 'ws';
import { Mempool, type MempoolLimits } from '../../../src/mempool/index.js';
import { ApiServer, type NodeView, type ApiLimits, type PeerEventJson } from '../../../src/api/index.js';
import type { Chain } from '../../../src/chain/index.js';
import type { Block, Genesis, TransferTx } from '../../../src/core/index.js';
import { openTestChain, childOf, tipEntry } from '../../helpers/chain-helpers.js';
import { testGenesis } from '../../helpers/fixtures.js';

export interface ApiHarness {
  chain: Chain;
  mempool: Mempool;
  api: ApiServer;
  url: string;
  peerEvents: EventEmitter<{ peer: [PeerEventJson] }>;
  /** Mines one block with the given (or all pending) transfers and submits it. */
  mine(txs?: TransferTx[]): Promise<Block>;
  close(): Promise<void>;
}

export const FAKE_PEERS = {
  table: [
    { id: 'aa'.repeat(32), host: '127.0.0.1', port: 30421, bucket: 0, lastSeen: 1_700_000_000_000 },
    { id: 'bb'.repeat(32), host: '127.0.0.1', port: 30422, bucket: 3, lastSeen: 1_700_000_000_000 },
  ],
  connected: [{ id: 'aa'.repeat(32), host: '127.0.0.1', port: 30421, address: '127.0.0.1:30421', direction: 'outbound' as const, height: 2, work: '32', score: 0, connectedAt: 1_700_000_000_000, lastBlockAt: 0, lastTxAt: 0 }],
};

export async function startApi(
  opts: { genesis?: Genesis; view?: NodeView; limits?: Partial<ApiLimits>; allowHosts?: string[]; mempoolLimits?: Partial<MempoolLimits>; metrics?: boolean } = {},
): Promise<ApiHarness> {
  const { chain, close: closeChain } = await openTestChain(opts.genesis ?? testGenesis());
  const mempool = new Mempool(chain, { limits: opts.mempoolLimits });
  mempool.start();
  const peerEvents = new EventEmitter<{ peer: [PeerEventJson] }>();
  const view: NodeView = opts.view ?? {
    peers: () => FAKE_PEERS,
    mining: () => ({ enabled: true, hashrate: 1234, address: 'kc1qsmjc56fcn9zr5047e8uygtx6e8cc6f75v6vav' }),
    syncing: () => false,
    submitTx: (tx) => mempool.add(tx),
    events: peerEvents,
  };
  const api = new ApiServer({ chain, mempool, host: '127.0.0.1', port: 0, view, limits: opts.limits, allowHosts: opts.allowHosts, metrics: opts.metrics });
  await api.start();
  return {
    chain,
    mempool,
    api,
    url: api.url,
    peerEvents,
    async mine(txs) {
      await mempool.idle();
      const body = txs ?? mempool.entries().map((e) => e.tx).sort((a, b) => (a.nonce < b.nonce ? -1 : 1));
      const block = await childOf(chain, await tipEntry(chain), body);
      const r = await chain.submitBlock(block);
      if (r.status !== 'connected') throw new Error(`mined block not connected: ${r.status} ${r.reason ?? ''}`);
      await mempool.idle();
      return block;
    },
    async close() {
      await api.stop();
      mempool.stop();
      await closeChain();
    },
  };
}

/** A WebSocket client that queues parsed messages and lets a test wait for one. */
export class EventClient {
  readonly messages: Record<string, unknown>[] = [];
  private waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => (w.pred(m) ? (w.resolve(m), false) : true));
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<EventClient> {
    const ws = new WebSocket(url.replace(/^http/, 'ws') + '/api/events', { perMessageDeflate: false, headers });
    const c = new EventClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return c;
  }

  next(pred: (m: Record<string, unknown>) => boolean, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const have = this.messages.find(pred);
    if (have) return Promise.resolve(have);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(this.messages.map((m) => m.type))}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(t), resolve(m)) });
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** A port that nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
