// The API's routes: a table of (method, path pattern) -> handler, and the handlers over the chain,
// the mempool and the node view. A handler returns a value (sent as JSON), or an encoded Buffer
// from the shared response cache for the large answers. New routes (/metrics, /api/openapi.json)
// are one more row in `routes()`.
import type { IncomingMessage } from 'node:http';
import { parseAddress, transferFromJson, type TransferTx } from '../core/index.js';
import { toHex, fromHex } from '../crypto/index.js';
import type { Chain } from '../chain/index.js';
import type { AdmitResult, Mempool } from '../mempool/index.js';
import { HttpError, isJsonContentType, parseJson, readBody } from './http-util.js';
import { blockSummary, difficulty, headerJson, mempoolEntryJson, txView } from './views.js';
import type { ResponseCache } from './response-cache.js';
import type { ApiLimits } from './limits.js';
import type { NodeCounters } from './metrics.js';
import type {
  SyncProgressJson, HealthJson, LookupJson, PropagationJson,
  AccountJson, BlockJson, ChainTipJson, BlockSummaryJson, PeerEventJson, PeersJson, StatusJson, SubmitTxJson, TxLookupJson, TableEntryJson, ConnectedPeerJson,
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
  /** Headers-first sync progress: headers, blocks, peers serving, rate, ETA (default: absent). */
  syncProgress?(): SyncProgressJson;
  /** Node health: store write failures, free-space floor (default: ok, no problems). */
  health?(): HealthJson;
  /** Admit and relay a transaction (default: `mempool.add`, no relay). */
  submitTx?(tx: TransferTx): Promise<AdmitResult>;
  /** The last Kademlia lookups, round by round (default: none). */
  lookups?(): LookupJson[];
  /** How recent blocks reached this node, per peer (default: none). */
  propagation?(): PropagationJson[];
  /** Counters kept by relay, sync, p2p and kad, read when /metrics is scraped (default: none). */
  counters?(): NodeCounters;
  /** Source of `peer` events for /api/events (an EventEmitter fits). */
  events?: {
    on(event: 'peer', listener: (e: PeerEventJson) => void): unknown;
    off(event: 'peer', listener: (e: PeerEventJson) => void): unknown;
  };
}

/** A handler's answer: a JSON value, or `{encoded}` already serialised (and possibly shared). */
export type RouteResult = { status?: number; json: unknown } | { status?: number; encoded: Buffer };

export interface RouteContext {
  req: IncomingMessage;
  url: URL;
  /** Decoded path segments matched by `:name` in the pattern, by name. */
  params: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST';
  /** Path with `:name` segments, e.g. `/api/blocks/:ref`. */
  path: string;
  handle(ctx: RouteContext): Promise<RouteResult> | RouteResult;
}

/** Matches a request to a route: 404 for no path, 405 (with Allow) for a path without the method. */
export class Router {
  private readonly table: { route: Route; parts: string[] }[] = [];

  constructor(routes: Route[]) {
    for (const r of routes) this.table.push({ route: r, parts: r.path.split('/').filter(Boolean) });
  }

  match(method: string, parts: string[], path: string): { route: Route; params: Record<string, string> } {
    const allowed = new Set<string>();
    for (const { route, parts: pattern } of this.table) {
      if (pattern.length !== parts.length) continue;
      const params: Record<string, string> = {};
      if (!pattern.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = parts[i]!), true) : p === parts[i]))) continue;
      if (route.method === method || (route.method === 'GET' && method === 'HEAD')) return { route, params };
      allowed.add(route.method);
      if (route.method === 'GET') allowed.add('HEAD');
    }
    if (allowed.size) throw new HttpError(405, 'method-not-allowed', `${method} is not allowed on ${path}`, { allow: [...allowed].join(',') });
    throw new HttpError(404, 'not-found', `no route ${path}`);
  }
}

const HEX64 = /^[0-9a-fA-F]{64}$/;
const TX_FIELDS = new Set(['kind', 'chainId', 'from', 'to', 'amount', 'fee', 'nonce', 'signature']);
/** Fields the API itself adds to a tx; tolerated on POST so a fetched tx can be re-broadcast. */
const TX_ECHO_FIELDS = new Set(['id', 'size', 'sender']);

const json = (value: unknown, status?: number): RouteResult => ({ json: value, status });

/** Maps a long list in slices, yielding to the event loop between them, so building one large
 * answer (thousands of txs) never holds up the small ones (/api/status) for long. */
async function mapInSlices<T, U>(items: readonly T[], fn: (item: T) => U, slice = 16): Promise<U[]> {
  const out: U[] = [];
  for (let i = 0; i < items.length; i += slice) {
    if (i > 0) await new Promise<void>((r) => setImmediate(r));
    for (const item of items.slice(i, i + slice)) out.push(fn(item));
  }
  return out;
}

/** The /api handlers. `version()` of the mempool keys its shared answers. */
export class ApiHandlers {
  constructor(
    private readonly chain: Chain,
    private readonly mempool: Mempool,
    private readonly view: NodeView,
    private readonly limits: ApiLimits,
    private readonly cache: ResponseCache,
    private readonly mempoolVersion: () => number,
  ) {}

  routes(): Route[] {
    return [
      { method: 'GET', path: '/api/status', handle: () => json(this.status()) },
      { method: 'GET', path: '/api/blocks', handle: async ({ url }) => ({ encoded: await this.blocks(url) }) },
      { method: 'GET', path: '/api/blocks/:ref', handle: async ({ params }) => ({ encoded: await this.block(params.ref!) }) },
      { method: 'POST', path: '/api/txs', handle: ({ req }) => this.submit(req) },
      { method: 'GET', path: '/api/txs/:id', handle: async ({ params }) => json(await this.tx(params.id!)) },
      { method: 'GET', path: '/api/accounts/:address', handle: async ({ params }) => json(await this.account(params.address!)) },
      { method: 'GET', path: '/api/peers', handle: () => json(this.peers()) },
      { method: 'GET', path: '/api/tips', handle: async ({ url }) => json(await this.tips(url)) },
      { method: 'GET', path: '/api/mempool', handle: async () => ({ encoded: await this.cache.get(`mempool:${this.mempoolVersion()}`, () => mapInSlices(this.mempool.entries(), mempoolEntryJson)) }) },
      {
        method: 'GET',
        path: '/api/events',
        handle: () => {
          throw new HttpError(426, 'upgrade-required', '/api/events is a WebSocket endpoint', { upgrade: 'websocket' });
        },
      },
    ];
  }

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
      health: this.view.health?.() ?? { ok: true, problems: [] },
      ...(this.view.syncProgress ? { sync: this.view.syncProgress() } : {}),
    };
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

  /** An integer query parameter within [min, max] (400 `bad-query` otherwise). */
  intParam(url: URL, name: string, min: number, max: number, fallback: number | undefined): number | undefined {
    const raw = url.searchParams.get(name);
    if (raw === null || raw === '') return fallback;
    if (!/^[0-9]{1,10}$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      throw new HttpError(400, 'bad-query', `query parameter "${name}": expected an integer from ${min} to ${max}, got ${JSON.stringify(raw.slice(0, 40))}`);
    }
    return Number(raw);
  }

  /** Main-chain summaries: from H upwards when `from` is given, else newest first from the tip. */
  private blocks(url: URL): Promise<Buffer> {
    const limit = this.intParam(url, 'limit', 1, this.limits.maxBlocksPerPage, 20)!;
    const from = this.intParam(url, 'from', 0, 0xffffffff, undefined);
    return this.cache.get(`blocks:${from ?? 'tip'}:${limit}:${this.chain.tip.idHex}`, async () => {
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
    });
  }

  private block(ref: string): Promise<Buffer> {
    let key: number | string;
    if (/^[0-9]{1,10}$/.test(ref) && Number(ref) <= 0xffffffff) key = Number(ref);
    else if (HEX64.test(ref)) key = ref.toLowerCase();
    else throw new HttpError(400, 'bad-id', `expected a block height or a 64-hex-digit block id, got ${JSON.stringify(ref.slice(0, 80))}`);
    // Confirmations and `next` depend on the tip, so the tip is part of the key.
    return this.cache.get(`block:${key}:${this.chain.tip.idHex}`, async (): Promise<BlockJson> => {
      const got = await this.chain.getBlock(key);
      if (!got) throw new HttpError(404, 'not-found', `no block ${ref}`);
      const { block, entry, main, confirmations } = got;
      const next = main && entry.height < this.chain.tip.height ? await this.chain.store.getMainId(entry.height + 1) : undefined;
      return {
        ...blockSummary(block, main, entry.idHex, entry.size),
        header: headerJson(block.header),
        txs: await mapInSlices(block.txs, (t) => txView(t)),
        confirmations,
        work: entry.work.toString(),
        next: next ? toHex(next) : null,
      };
    });
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

  private async submit(req: IncomingMessage): Promise<RouteResult> {
    // A JSON content type makes a cross-site POST a CORS request the browser must ask for first.
    if (!isJsonContentType(req.headers['content-type'])) {
      throw new HttpError(415, 'unsupported-media-type', `expected Content-Type: application/json, got ${JSON.stringify((req.headers['content-type'] ?? '(none)').slice(0, 60))}`);
    }
    const body = parseJson(await readBody(req, this.limits.maxBodyBytes), this.limits.maxJsonDepth);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'malformed', 'expected a JSON object (a signed transfer)');
    for (const k of Object.keys(body)) {
      if (!TX_FIELDS.has(k) && !TX_ECHO_FIELDS.has(k)) throw new HttpError(400, 'malformed', `unknown transaction field ${JSON.stringify(k.slice(0, 40))}`);
    }
    const tx = transferFromJson(body); // DecodeError (malformed, bad-address, bad-amount-format, bad-kind) -> 400
    const result = await (this.view.submitTx ? this.view.submitTx(tx) : this.mempool.add(tx));
    // The mempool's refusal reason (fee-too-low, bad-nonce, mempool-full, ...) is passed through.
    if (!result.accepted) return json({ error: result.message, reason: result.reason, id: result.id }, 400);
    const out: SubmitTxJson = result.replaced ? { id: result.id, replaced: result.replaced } : { id: result.id };
    return json(out, 202);
  }
}
