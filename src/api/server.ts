// The HTTP API server: JSON routes over the chain and mempool, the /api/events WebSocket, and the
// explorer page at "/". Plain node:http with hard limits (body, header count, header timeout) so
// a hostile or broken client costs a 4xx, never the node. Everything it knows about the rest of the
// node comes through the small NodeView interface (index.ts), which the composition root supplies.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { parseAddress, transferFromJson, isCodedError, type TransferTx } from '../core/index.js';
import { toHex, fromHex } from '../crypto/index.js';
import type { Chain, ConnectedBlockEvent, ReorgEvent } from '../chain/index.js';
import type { AdmitResult, Mempool, MempoolEntry } from '../mempool/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { HttpError, parseJson, readBody, sendError, sendJson } from './http-util.js';
import { EventHub, DEFAULT_EVENT_LIMITS } from './events.js';
import { blockSummary, difficulty, headerJson, mempoolEntryJson, txView } from './views.js';
import { DEFAULT_STATS_WINDOW } from './stats.js';
import { StatsService } from './stats-service.js';
import { ReorgLog } from './reorg-log.js';
// prom-client and the OpenAPI builder load only when used: every CLI command imports this folder.
import type { ApiMetrics, NodeCounters } from './metrics.js';
import { packageVersion } from './http-util.js';
import { explorerModule } from './explorer-modules.js';
import { EXPLORER_CSS, EXPLORER_HTML, EXPLORER_JS, EXPLORER_ICON } from './explorer/index.js';
import type {
  AccountJson, BlockJson, ChainTipJson, ReorgJson, LookupJson, PropagationJson, BlockSummaryJson, PeerEventJson, PeersJson, ReorgEventJson, StatusJson, SubmitTxJson, TxLookupJson, TableEntryJson, ConnectedPeerJson,
} from './types.js';

/**
 * What the API needs from the running node beyond the chain and the mempool. Every member is
 * optional so a partial node (or a test) can serve the API; the defaults are noted per member.
 */
export interface NodeView {
  /** Kademlia routing table and connected WebSocket peers (default: both empty). */
  peers?(): { table: TableEntryJson[]; connected: ConnectedPeerJson[] };
  /** Entries per bucket by shared-prefix length (default: counted from `peers().table`). */
  bucketFill?(): number[];
  /** Miner state (default: disabled, 0 H/s). */
  mining?(): { enabled: boolean; hashrate: number; address?: string };
  /** True while catching up with a peer that has more work (default: false). */
  syncing?(): boolean;
  /** Admit and relay a transaction (default: `mempool.add`, no relay). */
  submitTx?(tx: TransferTx): Promise<AdmitResult>;
  /** The last Kademlia lookups, round by round (default: none). */
  lookups?(): LookupJson[];
  /** How recent blocks reached this node, per peer (default: none). */
  propagation?(): PropagationJson[];
  /** Counters kept by gossip, p2p and kad, read when /metrics is scraped (default: none). */
  counters?(): NodeCounters;
  /** Source of `peer` events for /api/events (an EventEmitter fits). */
  events?: {
    on(event: 'peer', listener: (e: PeerEventJson) => void): unknown;
    off(event: 'peer', listener: (e: PeerEventJson) => void): unknown;
  };
}

export interface ApiLimits {
  maxBodyBytes: number;
  maxHeaders: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  maxEventClients: number;
  /** Most blocks one /api/blocks call returns. */
  maxBlocksPerPage: number;
  /** Recent main-chain blocks /api/stats computes over. */
  statsWindow: number;
  /** Reorgs /api/reorgs keeps. */
  reorgHistory: number;
}

export const DEFAULT_API_LIMITS: ApiLimits = {
  maxBodyBytes: 1 << 20,
  maxHeaders: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  maxEventClients: 64,
  maxBlocksPerPage: 100,
  statsWindow: DEFAULT_STATS_WINDOW,
  reorgHistory: 100,
};

export interface ApiServerOptions {
  chain: Chain;
  mempool: Mempool;
  /** Default 127.0.0.1: the API is local unless the operator says otherwise. */
  host?: string;
  /** Default 8420; 0 picks a free port (see `port` after start). */
  port?: number;
  logger?: Logger;
  view?: NodeView;
  limits?: Partial<ApiLimits>;
  /** Serve Prometheus metrics at /metrics (the node's --metrics); otherwise /metrics is a 404. */
  metrics?: boolean;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;
const TX_FIELDS = new Set(['kind', 'chainId', 'from', 'to', 'amount', 'fee', 'nonce', 'signature']);
/** Fields the API itself adds to a tx; tolerated on POST so a fetched tx can be re-broadcast. */
const TX_ECHO_FIELDS = new Set(['id', 'size', 'sender']);

export class ApiServer {
  private readonly chain: Chain;
  private readonly mempool: Mempool;
  private readonly view: NodeView;
  private readonly log: Logger;
  private readonly limits: ApiLimits;
  private readonly host: string;
  private readonly requestedPort: number;
  private server: Server | undefined;
  private hub: EventHub | undefined;
  private boundPort = 0;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly sockets = new Set<Socket>();
  readonly reorgs: ReorgLog;
  private readonly metricsEnabled: boolean;
  private metrics: ApiMetrics | undefined;
  private readonly statsService: StatsService;
  private openapi: Record<string, unknown> | undefined;

  private readonly onBlock = (e: ConnectedBlockEvent): void => {
    if (this.hub?.active) this.hub.broadcast('block', blockSummary(e.block, true, e.id));
  };
  private readonly onReorg = (e: ReorgEvent): void => {
    this.reorgs.record(e);
    const data: ReorgEventJson = { forkHeight: e.forkHeight, disconnected: e.disconnected, connected: e.connected, removedTxs: e.removedTxs.length };
    this.hub?.broadcast('reorg', data);
  };
  private readonly onTxAdded = (e: MempoolEntry): void => {
    if (this.hub?.active) this.hub.broadcast('tx', txView(e.tx, e.id));
  };
  private readonly onPeer = (e: PeerEventJson): void => {
    this.hub?.broadcast('peer', e);
  };

  constructor(opts: ApiServerOptions) {
    this.chain = opts.chain;
    this.mempool = opts.mempool;
    this.view = opts.view ?? {};
    this.log = (opts.logger ?? silentLogger).child({ module: 'api' });
    this.limits = { ...DEFAULT_API_LIMITS, ...opts.limits };
    this.host = opts.host ?? '127.0.0.1';
    this.requestedPort = opts.port ?? 8420;
    this.reorgs = new ReorgLog(this.limits.reorgHistory);
    this.statsService = new StatsService(this.chain, this.reorgs, this.limits.statsWindow);
    this.metricsEnabled = opts.metrics === true;
  }

  /** The bound port (useful with port 0); 0 before start. */
  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    const h = this.host.includes(':') ? `[${this.host}]` : this.host === '0.0.0.0' ? '127.0.0.1' : this.host;
    return `http://${h}:${this.boundPort}`;
  }

  /** Starts listening; calling it again while running is a no-op. */
  async start(): Promise<void> {
    if (this.stopping) await this.stopping;
    if (this.server) return;
    this.starting ??= this.listen().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async listen(): Promise<void> {
    if (this.metricsEnabled && !this.metrics) {
      const { ApiMetrics } = await import('./metrics.js');
      this.metrics = new ApiMetrics({
        chain: this.chain,
        mempool: this.mempool,
        peers: () => {
          const p = this.safePeers();
          return { table: p.table.length, connected: p.connected.length };
        },
        hashrate: () => this.view.mining?.().hashrate ?? 0,
        reorgs: () => this.reorgs.total,
        counters: () => this.view.counters?.() ?? {},
      });
    }
    const server = createServer({
      headersTimeout: this.limits.headersTimeoutMs,
      requestTimeout: this.limits.requestTimeoutMs,
      // The header timeout is only enforced when this check runs (default every 30 s).
      connectionsCheckingInterval: Math.min(1000, this.limits.headersTimeoutMs),
      keepAliveTimeout: 5000,
    });
    // Node silently truncates at maxHeadersCount (and may then refuse the request for a lost Host
    // header with a bare 400). So parse well past our limit (the 16 KiB header size bounds the
    // cost) and refuse more than maxHeaders with a proper 431 in handle().
    server.maxHeadersCount = Math.max(1000, this.limits.maxHeaders * 4);
    server.on('request', (req, res) => void this.handle(req, res));
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      // Malformed request lines, oversized headers, header timeouts: answer if we still can.
      if (!socket.writable) return socket.destroy();
      const code = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      const reason = code === 431 ? 'headers-too-large' : code === 408 ? 'timeout' : 'bad-request';
      const body = JSON.stringify({ error: err.message, reason });
      socket.end(`HTTP/1.1 ${code} ${code === 431 ? 'Request Header Fields Too Large' : code === 408 ? 'Request Timeout' : 'Bad Request'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    const hub = new EventHub(this.log, { ...DEFAULT_EVENT_LIMITS, maxClients: this.limits.maxEventClients }, () => {
      const s = this.status();
      return { ...s, type: 'hello', data: s };
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      server.once('error', onError);
      server.listen(this.requestedPort, this.host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (e) => this.log.error('api server error', { err: e.message }));
    const addr = server.address();
    this.boundPort = typeof addr === 'object' && addr ? addr.port : this.requestedPort;
    this.server = server;
    this.hub = hub;
    hub.start();
    this.chain.on('block', this.onBlock);
    this.chain.on('reorg', this.onReorg);
    this.mempool.on('added', this.onTxAdded);
    this.view.events?.on('peer', this.onPeer);
    this.log.info('api listening', { url: this.url });
  }

  /** Stops listening and closes every socket, event clients included. Safe to call twice. */
  async stop(): Promise<void> {
    if (this.starting) await this.starting.catch(() => {});
    if (!this.server) return this.stopping;
    this.stopping ??= this.shutdown().finally(() => (this.stopping = undefined));
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const server = this.server!;
    const hub = this.hub!;
    this.chain.off('block', this.onBlock);
    this.chain.off('reorg', this.onReorg);
    this.mempool.off('added', this.onTxAdded);
    this.view.events?.off('peer', this.onPeer);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await hub.close();
    server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
    this.server = undefined;
    this.hub = undefined;
    this.log.info('api stopped');
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/api/events' || !this.hub || this.stopping) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: application/json\r\n\r\n{"error":"no WebSocket endpoint here","reason":"not-found"}');
      return;
    }
    this.hub.handleUpgrade(req, socket, head);
  }

  // ---- routing ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.rawHeaders.length / 2 > this.limits.maxHeaders) {
        throw new HttpError(431, 'too-many-headers', `expected at most ${this.limits.maxHeaders} headers`);
      }
      const url = new URL(req.url ?? '/', 'http://localhost');
      this.metrics?.observe(req, res, url.pathname);
      await this.route(req, res, url);
    } catch (e) {
      this.fail(req, res, e);
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    if (e instanceof HttpError) {
      if (e.status === 413) return this.refuseBody(req, res, e);
      return sendError(res, e.status, e.reason, e.message, e.headers);
    }
    if (isCodedError(e)) return sendError(res, 400, e.reason, e.message);
    this.log.error('api request failed', { method: req.method, url: req.url, err: e instanceof Error ? e.stack ?? e.message : String(e) });
    sendError(res, 500, 'internal', 'internal error');
  }

  /**
   * 413 and close, without reading the rest of the body: the socket is paused (TCP backpressure
   * stops the sender) and destroyed shortly after the answer is out. The short delay lets a client
   * that is still sending read the 413 before the reset that closing with unread data causes.
   */
  private refuseBody(req: IncomingMessage, res: ServerResponse, e: HttpError): void {
    req.pause();
    const socket = req.socket;
    res.once('finish', () => setTimeout(() => socket.destroy(), 250).unref());
    sendError(res, 413, e.reason, e.message, { connection: 'close' });
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const parts = path.split('/').filter(Boolean).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        throw new HttpError(400, 'bad-request', 'malformed percent-encoding in path');
      }
    });
    const isGet = method === 'GET' || method === 'HEAD';
    const only = (allowed: string): void => {
      const ok = allowed.split(',').includes(method) || (allowed.includes('GET') && method === 'HEAD');
      if (!ok) throw new HttpError(405, 'method-not-allowed', `${method} is not allowed on ${path}`, { allow: allowed.includes('GET') ? allowed + ',HEAD' : allowed });
    };

    if (path === '/metrics' && this.metrics) {
      only('GET');
      return this.metrics.serve(res);
    }
    if (parts[0] !== 'api') {
      only('GET');
      return this.serveExplorer(res, path);
    }
    const [, section, arg, extra] = parts;
    if (extra !== undefined) throw new HttpError(404, 'not-found', `no route ${path}`);
    switch (section) {
      case 'status':
        if (arg !== undefined) break;
        only('GET');
        return sendJson(res, 200, this.status());
      case 'blocks':
        only('GET');
        return sendJson(res, 200, arg === undefined ? await this.blocks(url) : await this.block(arg));
      case 'txs':
        if (arg === undefined) {
          only('POST');
          return this.submit(req, res);
        }
        only('GET');
        return sendJson(res, 200, await this.tx(arg));
      case 'accounts':
        if (arg === undefined) break;
        only('GET');
        return sendJson(res, 200, await this.account(arg));
      case 'peers':
        if (arg !== undefined) break;
        only('GET');
        return sendJson(res, 200, this.peers());
      case 'tips':
        if (arg !== undefined) break;
        only('GET');
        return sendJson(res, 200, await this.tips(url));
      case 'stats':
        if (arg !== undefined) break;
        only('GET');
        return sendJson(res, 200, await this.statsService.stats());
      case 'reorgs':
        if (arg !== undefined) break;
        only('GET');
        return sendJson(res, 200, this.reorgList(url));
      case 'openapi.json':
        if (arg !== undefined) break;
        only('GET');
        this.openapi ??= (await import('./openapi.js')).buildOpenApi(packageVersion());
        return sendJson(res, 200, this.openapi, { 'cache-control': 'no-cache' });
      case 'lookups':
        if (arg !== undefined) break;
        only('GET');
        return sendJson(res, 200, this.view.lookups?.() ?? []);
      case 'propagation':
        if (arg !== undefined) break;
        only('GET');
        return sendJson(res, 200, this.view.propagation?.() ?? []);
      case 'mempool':
        if (arg !== undefined) break;
        only('GET');
        return sendJson(res, 200, this.mempool.entries().map(mempoolEntryJson));
      case 'events':
        if (arg !== undefined) break;
        if (!isGet) only('GET');
        throw new HttpError(426, 'upgrade-required', '/api/events is a WebSocket endpoint', { upgrade: 'websocket' });
    }
    throw new HttpError(404, 'not-found', `no route ${path}`);
  }

  private serveExplorer(res: ServerResponse, path: string): void {
    const files: Record<string, [string, string]> = {
      '/': [EXPLORER_HTML, 'text/html; charset=utf-8'],
      '/index.html': [EXPLORER_HTML, 'text/html; charset=utf-8'],
      '/explorer.js': [EXPLORER_JS, 'text/javascript; charset=utf-8'],
      '/explorer.css': [EXPLORER_CSS, 'text/css; charset=utf-8'],
      '/favicon.svg': [EXPLORER_ICON, 'image/svg+xml'],
      '/favicon.ico': [EXPLORER_ICON, 'image/svg+xml'],
    };
    const f = files[path] ?? explorerModule(path);
    if (!f) throw new HttpError(404, 'not-found', `no page ${path}`);
    res.writeHead(200, {
      'content-type': f[1],
      'content-length': Buffer.byteLength(f[0]),
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      // Everything is served from here; the page needs nothing from any other origin.
      'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    });
    res.end(f[0]);
  }

  // ---- handlers ----

  status(): StatusJson {
    const tip = this.chain.tip;
    const p = this.safePeers();
    const mining = this.view.mining?.() ?? { enabled: false, hashrate: 0 };
    return {
      network: this.chain.params.network,
      genesis: this.chain.genesis.idHex,
      height: tip.height,
      tip: tip.idHex,
      tipTime: tip.timestamp,
      work: tip.work.toString(),
      target: tip.target.toString(16).padStart(64, '0'),
      difficulty: difficulty(this.chain.params.powLimit, tip.target),
      targetBlockTimeMs: this.chain.params.targetBlockTimeMs,
      peers: { table: p.table.length, connected: p.connected.length },
      mempool: this.mempool.size,
      mempoolBytes: this.mempool.totalBytes,
      orphans: this.chain.orphanCount,
      mining: mining.address ? { enabled: mining.enabled, hashrate: mining.hashrate, address: mining.address } : { enabled: mining.enabled, hashrate: mining.hashrate },
      syncing: this.view.syncing?.() ?? false,
    };
  }

  private reorgList(url: URL): ReorgJson[] {
    return this.reorgs.list(this.intParam(url, 'limit', 1, this.limits.reorgHistory, this.limits.reorgHistory));
  }

  private safePeers(): { table: TableEntryJson[]; connected: ConnectedPeerJson[] } {
    return this.view.peers?.() ?? { table: [], connected: [] };
  }

  private async tips(url: URL): Promise<ChainTipJson[]> {
    const limit = this.intParam(url, 'limit', 1, 500, 50)!;
    return (await this.chain.tips(limit)).map((t) => ({
      id: t.id, height: t.height, work: t.work.toString(), time: t.timestamp, forkHeight: t.forkHeight, branchLength: t.branchLength, status: t.status,
    }));
  }

  private peers(): PeersJson {
    const p = this.safePeers();
    let buckets = this.view.bucketFill?.();
    if (!buckets) {
      buckets = new Array<number>(256).fill(0);
      for (const e of p.table) if (e.bucket >= 0 && e.bucket < 256) buckets[e.bucket]!++;
    }
    return { table: p.table, connected: p.connected, buckets };
  }

  private intParam(url: URL, name: string, min: number, max: number, fallback: number | undefined): number | undefined {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === '') return fallback;
    if (!/^[0-9]{1,10}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new HttpError(400, 'bad-query', `query parameter "${name}": expected an integer from ${min} to ${max}, got ${JSON.stringify(raw.slice(0, 40))}`);
    }
    return Number(raw);
  }

  /** Main-chain summaries: from H upwards when `from` is given, else newest first from the tip. */
  private async blocks(url: URL): Promise<BlockSummaryJson[]> {
    const limit = this.intParam(url, 'limit', 1, this.limits.maxBlocksPerPage, 20)!;
    const from = this.intParam(url, 'from', 0, 0xffffffff, undefined);
    const tipHeight = this.chain.tip.height;
    const heights: number[] = [];
    if (from === undefined) for (let h = tipHeight; h >= 0 && heights.length < limit; h--) heights.push(h);
    else for (let h = from; h <= tipHeight && heights.length < limit; h++) heights.push(h);
    const out: BlockSummaryJson[] = [];
    for (const h of heights) {
      const got = await this.chain.getBlock(h);
      // A reorg may shorten the chain while we read; return what is still there.
      if (got) out.push(blockSummary(got.block, got.main, got.entry.idHex, got.entry.size));
    }
    return out;
  }

  private async block(ref: string): Promise<BlockJson> {
    let key: number | string;
    if (/^[0-9]{1,10}$/.test(ref) && Number(ref) <= 0xffffffff) key = Number(ref);
    else if (HEX64.test(ref)) key = ref.toLowerCase();
    else throw new HttpError(400, 'bad-id', `expected a block height or a 64-hex-digit block id, got ${JSON.stringify(ref.slice(0, 80))}`);
    const got = await this.chain.getBlock(key);
    if (!got) throw new HttpError(404, 'not-found', `no block ${ref}`);
    const { block, entry, main, confirmations } = got;
    const next = main && entry.height < this.chain.tip.height ? await this.chain.store.getMainId(entry.height + 1) : undefined;
    return {
      ...blockSummary(block, main, entry.idHex, entry.size),
      header: headerJson(block.header),
      txs: block.txs.map((t) => txView(t)),
      confirmations,
      work: entry.work.toString(),
      next: next ? toHex(next) : null,
    };
  }

  private async tx(ref: string): Promise<TxLookupJson> {
    if (!HEX64.test(ref)) throw new HttpError(400, 'bad-id', `expected a 64-hex-digit transaction id, got ${JSON.stringify(ref.slice(0, 80))}`);
    const id = ref.toLowerCase();
    const pending = this.mempool.get(id);
    if (pending) return { id, tx: txView(pending.tx, id), status: 'pending', block: null, height: null, index: null, confirmations: 0 };
    const got = await this.chain.getTx(fromHex(id, 32));
    if (!got) throw new HttpError(404, 'not-found', `no transaction ${id} in the mempool or on the main chain`);
    return { id, tx: txView(got.tx, id), status: 'confirmed', block: got.blockId, height: got.height, index: got.index, confirmations: got.confirmations };
  }

  private async account(text: string): Promise<AccountJson> {
    const address = parseAddress(text); // DecodeError 'bad-address' -> 400
    const [acct, pendingNonce] = await Promise.all([this.chain.getAccount(address), this.mempool.pendingNonce(address)]);
    return { address: text, balance: acct.balance.toString(), nonce: acct.nonce.toString(), pendingNonce: pendingNonce.toString() };
  }

  private async submit(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const json = parseJson(await readBody(req, this.limits.maxBodyBytes));
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new HttpError(400, 'malformed', 'expected a JSON object (a signed transfer)');
    for (const k of Object.keys(json)) {
      if (!TX_FIELDS.has(k) && !TX_ECHO_FIELDS.has(k)) throw new HttpError(400, 'malformed', `unknown transaction field ${JSON.stringify(k.slice(0, 40))}`);
    }
    const tx = transferFromJson(json); // DecodeError (malformed, bad-address, bad-amount-format, bad-kind) -> 400
    const result = await (this.view.submitTx ? this.view.submitTx(tx) : this.mempool.add(tx));
    if (!result.accepted) {
      sendJson(res, 400, { error: result.message, reason: result.reason, id: result.id });
      return;
    }
    const body: SubmitTxJson = result.replaced ? { id: result.id, replaced: result.replaced } : { id: result.id };
    sendJson(res, 202, body);
  }
}
