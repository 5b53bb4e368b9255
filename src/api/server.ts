// The HTTP API server: lifecycle, requests through the doors (doors.ts: per-IP share, header count,
// Host, per-IP caps, Origin) to the route, the /api/events upgrade and the explorer page at "/".
// Plain node:http with every limit in `ApiLimits` (limits.ts), so a hostile or broken client costs
// a 4xx, never the node. Routes and handlers live in routes.ts; the checks in guards.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { isCodedError } from '../core/index.js';
import type { Chain, ConnectedBlockEvent, ReorgEvent } from '../chain/index.js';
import type { Mempool, MempoolEntry } from '../mempool/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { HttpError, expectContinue, rawRefusal, refuseAndDrain, sendEncoded, sendError, sendJson } from './http-util.js';
import { EventHub } from './events.js';
import { blockSummary, txView } from './views.js';
import { EXPLORER_CSS, EXPLORER_HTML, EXPLORER_ICON } from './explorer/index.js';
import { DEFAULT_API_LIMITS, type ApiLimits } from './limits.js';
import { isLoopbackAddress } from './guards.js';
import { ApiDoors } from './doors.js';
import { ResponseCache } from './response-cache.js';
import { ApiHandlers, Router, type NodeView, type Route } from './routes.js';
import type { PeerEventJson, ReorgEventJson, ReorgJson, StatusJson } from './types.js';
import { StatsService } from './stats-service.js';
import { ReorgLog } from './reorg-log.js';
// prom-client and the OpenAPI builder load only when used: every CLI command imports this folder.
import type { ApiMetrics } from './metrics.js';
import { packageVersion } from './http-util.js';
import { explorerModule } from './explorer-modules.js';

export type { NodeView } from './routes.js';

export interface ApiServerOptions {
  chain: Chain;
  mempool: Mempool;
  /** Default 127.0.0.1: the API is local unless the operator says otherwise. */
  host?: string;
  /** Default 8420; 0 picks a free port (see `port` after start). */
  port?: number;
  /** Host names answered besides loopback and the bound address (`--api-allow-host`); "*" allows any. */
  allowHosts?: string[];
  logger?: Logger;
  view?: NodeView;
  limits?: Partial<ApiLimits>;
  /** Serve Prometheus metrics at /metrics (the node's --metrics); otherwise /metrics is a 404. */
  metrics?: boolean;
}

export class ApiServer {
  private readonly chain: Chain;
  private readonly mempool: Mempool;
  private readonly view: NodeView;
  private readonly log: Logger;
  private readonly limits: ApiLimits;
  private readonly host: string;
  private readonly requestedPort: number;
  private readonly doors: ApiDoors;
  private readonly cache: ResponseCache;
  private readonly handlers: ApiHandlers;
  private readonly router: Router;
  private server: Server | undefined;
  private hub: EventHub | undefined;
  private boundPort = 0;
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private readonly sockets = new Set<Socket>();
  private mempoolVersion = 0;
  readonly reorgs: ReorgLog;
  private readonly metricsEnabled: boolean;
  private metrics: ApiMetrics | undefined;
  private readonly statsService: StatsService;
  private openapi: Record<string, unknown> | undefined;

  private readonly onBlock = (e: ConnectedBlockEvent): void => {
    // Nothing is built without a subscriber; with one, the JSON is built after the node's own
    // per-block work (relay first), one task per block, in order.
    if (this.hub?.active) setImmediate(() => this.hub?.active && this.hub.broadcast('block', blockSummary(e.block, true, e.id)));
  };
  private readonly onReorg = (e: ReorgEvent): void => {
    this.reorgs.record(e);
    const data: ReorgEventJson = { forkHeight: e.forkHeight, disconnected: e.disconnected, connected: e.connected, removedTxs: e.removedTxs.length };
    this.hub?.broadcast('reorg', data);
  };
  private readonly onTxAdded = (e: MempoolEntry): void => {
    this.mempoolVersion++;
    if (this.hub?.active) this.hub.broadcast('tx', txView(e.tx, e.id));
  };
  private readonly onTxRemoved = (): void => {
    this.mempoolVersion++;
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
    this.doors = new ApiDoors(this.limits, this.host, opts.allowHosts);
    this.cache = new ResponseCache(this.limits.responseCacheBytes);
    this.handlers = new ApiHandlers(this.chain, this.mempool, this.view, this.limits, this.cache, () => this.mempoolVersion);
    this.router = new Router([...this.handlers.routes(), ...this.observabilityRoutes()]);
  }

  /** The bound port (useful with port 0); 0 before start. */
  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    const h = this.host.includes(':') ? (this.host === '::' ? '[::1]' : `[${this.host}]`) : this.host === '0.0.0.0' ? '127.0.0.1' : this.host;
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
          const p = this.view.peers?.() ?? { table: [], connected: [] };
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
      // Node's own refusal of a missing Host is a bare 400; the doors refuse it with a reason.
      requireHostHeader: false,
    });
    // Node silently truncates at maxHeadersCount (and may then refuse the request for a lost Host
    // header with a bare 400). So parse well past our limit (the 16 KiB header size bounds the
    // cost) and refuse more than maxHeaders with a proper 431 in guard().
    server.maxHeadersCount = Math.max(1000, this.limits.maxHeaders * 4);
    server.maxConnections = this.limits.maxConnections;
    // Inactivity timeout per socket: a client that stops reading stops our writes, and is closed.
    server.timeout = this.limits.idleTimeoutMs;
    server.on('request', (req, res) => this.onRequest(req, res));
    // With a listener, Node sends no 100 Continue of its own: the body reader sends it once the route
    // wants the body and its declared length fits, so a refused request's body is never sent.
    server.on('checkContinue', (req, res) => {
      expectContinue(req, res);
      this.onRequest(req, res);
    });
    // Any other expectation (RFC 9110 10.1.1): a readable 417 instead of Node's bare one.
    server.on('checkExpectation', (req, res) =>
      refuseAndDrain(req, res, { maxBytes: this.limits.drainMaxBytes, timeoutMs: this.limits.drainTimeoutMs }, 417, 'expectation-failed', 'only Expect: 100-continue is supported'),
    );
    server.on('upgrade', (req, socket, head) => this.upgrade(req, socket, head));
    // A proxy request: no tunnel here (without a listener Node drops the socket without a word).
    server.on('connect', (_req, socket: Duplex) => rawRefusal(socket, 405, 'method-not-allowed', 'CONNECT is not served'));
    server.on('connection', (s: Socket) => this.onConnection(s));
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      // Malformed request lines, oversized headers, header timeouts: answer if we still can.
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      rawRefusal(socket, status, status === 431 ? 'headers-too-large' : status === 408 ? 'timeout' : 'bad-request', err.message);
    });
    const hub = new EventHub(
      this.log,
      { maxClients: this.limits.maxEventClients, maxBufferedBytes: this.limits.maxEventBufferedBytes, pingIntervalMs: this.limits.eventPingIntervalMs, closeGraceMs: this.limits.eventCloseGraceMs },
      () => {
        const s = this.status();
        return { ...s, type: 'hello', data: s };
      },
    );
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
    this.mempool.on('removed', this.onTxRemoved);
    this.view.events?.on('peer', this.onPeer);
    this.log.info('api listening', { url: this.url });
    if (!isLoopbackAddress(this.host) && this.host !== 'localhost') {
      this.log.warn('the API is bound to a non-loopback address and has no authentication: anyone who can reach it can read the node and submit transactions', { host: this.host });
    }
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
    this.mempool.off('removed', this.onTxRemoved);
    this.view.events?.off('peer', this.onPeer);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await hub.close();
    server.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    await closed;
    this.server = undefined;
    this.hub = undefined;
    this.cache.clear();
    this.log.info('api stopped');
  }

  status(): StatusJson {
    return this.handlers.status();
  }

  // ---- connections ----

  private onConnection(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    if (!this.doors.connected(s)) this.log.debug('closed a connection past twice its address\'s share', { remote: s.remoteAddress });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (!this.doors.admit(req, res, () => void this.handle(req, res))) {
      // More pipelined than the queue holds and not reading: nothing more will be answered here.
      this.log.debug('closing a connection that pipelines without reading', { remote: req.socket.remoteAddress });
      req.socket.destroy();
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    try {
      this.doors.check(req, 'upgrade');
    } catch (e) {
      const r = e instanceof HttpError ? e : new HttpError(400, 'bad-request', 'refused');
      return rawRefusal(socket, r.status, r.reason, r.message);
    }
    if (path !== '/api/events' || !this.hub || this.stopping) return rawRefusal(socket, 404, 'not-found', 'no WebSocket endpoint here');
    this.hub.handleUpgrade(req, socket, head);
  }

  // ---- requests ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      this.doors.check(req, 'request');
      const url = new URL(req.url ?? '/', 'http://localhost');
      this.metrics?.observe(req, res, url.pathname);
      await this.route(req, res, url);
    } catch (e) {
      this.fail(req, res, e);
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    let status = 500;
    let reason = 'internal';
    let message = 'internal error';
    let headers: Record<string, string> = {};
    if (e instanceof HttpError) ({ status, reason, message, headers } = e);
    else if (isCodedError(e)) {
      // The node's own store failing is not the client's fault: 503, with the reason.
      status = e.reason === 'store-damaged' || e.reason === 'disk-full' || e.reason === 'io-error' ? 503 : 400;
      ({ reason, message } = e);
    } else this.log.error('api request failed', { method: req.method, url: req.url, err: e instanceof Error ? e.stack ?? e.message : String(e) });
    // A refusal before the body was read must still be readable by a client that is sending it.
    if (!req.complete) return refuseAndDrain(req, res, { maxBytes: this.limits.drainMaxBytes, timeoutMs: this.limits.drainTimeoutMs }, status, reason, message, headers);
    sendError(res, status, reason, message, headers);
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
    if (path === '/metrics' && this.metrics) {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', `${method} is not allowed on ${path}`, { allow: 'GET,HEAD' });
      return this.metrics.serve(res);
    }
    if (parts[0] !== 'api') {
      if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'method-not-allowed', `${method} is not allowed on ${path}`, { allow: 'GET,HEAD' });
      return this.serveExplorer(res, path);
    }
    const { route, params } = this.router.match(method, parts, path);
    const result = await route.handle({ req, url, params });
    if ('encoded' in result) sendEncoded(res, result.status ?? 200, result.encoded);
    else sendJson(res, result.status ?? 200, result.json);
  }

  private serveExplorer(res: ServerResponse, path: string): void {
    const files: Record<string, [string, string]> = {
      '/': [EXPLORER_HTML, 'text/html; charset=utf-8'],
      '/index.html': [EXPLORER_HTML, 'text/html; charset=utf-8'],
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
      // Everything is served from here, the event WebSocket included ('self' covers ws: to this host).
      'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    });
    res.end(f[0]);
  }

  /** Chain stats, reorg history, the OpenAPI document and the kad/propagation records. */
  private observabilityRoutes(): Route[] {
    return [
      { method: 'GET', path: '/api/stats', handle: async () => ({ json: await this.statsService.stats() }) },
      { method: 'GET', path: '/api/reorgs', handle: ({ url }) => ({ json: this.reorgList(url) }) },
      {
        method: 'GET',
        path: '/api/openapi.json',
        handle: async () => ({ json: (this.openapi ??= (await import('./openapi.js')).buildOpenApi(packageVersion())) }),
      },
      { method: 'GET', path: '/api/lookups', handle: () => ({ json: this.view.lookups?.() ?? [] }) },
      { method: 'GET', path: '/api/propagation', handle: () => ({ json: this.view.propagation?.() ?? [] }) },
    ];
  }

  private reorgList(url: URL): ReorgJson[] {
    return this.reorgs.list(this.handlers.intParam(url, 'limit', 1, this.limits.reorgHistory, this.limits.reorgHistory)!);
  }
}
