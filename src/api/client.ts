// A tiny typed client for the HTTP API (fetch-based), used by the CLI. Failure to connect at all
// is its own error type, so callers can say "cannot reach node at URL" instead of a stack trace;
// an answer with an error body becomes an ApiError carrying the server's stable reason. The node
// is not trusted: replies are read up to a size cap and redirects are refused, never followed (a
// POST of a signed tx goes to the URL the user gave, or nowhere).
import type { TransferTxJson } from '../core/index.js';
import type {
  AccountJson, BlockJson, BlockSummaryJson, ErrorJson, MempoolEntryJson, ChainTipJson, PeersJson, StatusJson, SubmitTxJson, TxLookupJson,
} from './types.js';

/** No HTTP answer at all: refused, reset, DNS failure, or timed out. */
export class NodeUnreachableError extends Error {
  readonly reason = 'unreachable';
  constructor(
    readonly url: string,
    readonly detail: string,
  ) {
    super(`cannot reach node at ${url}`);
    this.name = 'NodeUnreachableError';
  }
}

/** The node answered with an error status (`{error, reason}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClientOptions {
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
  /** Largest reply body read (default 16 MiB: a few full blocks as JSON). */
  maxReplyBytes?: number;
}

export const DEFAULT_MAX_REPLY_BYTES = 16 * 1024 * 1024;
/** Failure codes of a connection that died under us (not a refusal or a timeout). */
const STALE_SOCKET = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);
/** Server-supplied error text is clipped to this many characters. */
const MAX_ERROR_CHARS = 500;

export class ApiClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly maxReplyBytes: number;

  constructor(baseUrl: string, opts: ApiClientOptions = {}) {
    let u: URL;
    try {
      u = new URL(baseUrl);
    } catch {
      throw new ApiError(0, 'bad-url', `expected a node URL like http://127.0.0.1:8420, got ${JSON.stringify(baseUrl)}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ApiError(0, 'bad-url', `expected an http:// or https:// node URL, got ${JSON.stringify(baseUrl)}`);
    this.baseUrl = u.origin + u.pathname.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxReplyBytes = opts.maxReplyBytes ?? DEFAULT_MAX_REPLY_BYTES;
  }

  /** The body as text, refusing (and cancelling) a reply larger than the cap. */
  private async readCapped(res: Response, path: string): Promise<string> {
    const tooLarge = (): ApiError => new ApiError(res.status, 'reply-too-large', `reply from ${this.baseUrl}${path} exceeds ${this.maxReplyBytes} bytes; refusing to read it`);
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > this.maxReplyBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw tooLarge();
    }
    if (!res.body) return '';
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > this.maxReplyBytes) {
          await reader.cancel().catch(() => undefined);
          throw tooLarge();
        }
        chunks.push(value);
      }
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw new NodeUnreachableError(this.baseUrl, `connection lost while reading the answer: ${(e as Error).message}`);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private async request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    try {
      return await this.requestOnce<T>(method, path, body);
    } catch (e) {
      // A kept-alive connection the server closed while we were busy (e.g. deriving a wallet key)
      // fails the next request at once: retry once on a new connection. Every call here is
      // idempotent (reads, and a signed tx whose id is its content).
      if (!(e instanceof NodeUnreachableError) || !STALE_SOCKET.has(e.detail)) throw e;
      return this.requestOnce<T>(method, path, body);
    }
  }

  private async requestOnce<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const detail = (e as Error).name === 'TimeoutError' ? `no answer within ${this.timeoutMs} ms` : cause?.code ?? cause?.message ?? (e as Error).message;
      throw new NodeUnreachableError(this.baseUrl, detail);
    }
    if ((res.status >= 300 && res.status < 400) || res.type === 'opaqueredirect') {
      await res.body?.cancel().catch(() => undefined);
      const to = res.headers.get('location');
      throw new ApiError(res.status, 'redirect', `node at ${this.baseUrl} answered ${method} ${path} with a redirect${to ? ` to ${JSON.stringify(to.slice(0, 200))}` : ''}; not following it (give the node's real URL with --node)`);
    }
    const text = await this.readCapped(res, path);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ApiError(res.status, 'bad-response', `expected JSON from ${this.baseUrl}${path}, got HTTP ${res.status} ${JSON.stringify(text.slice(0, 80))} (is this a kadchain node?)`);
    }
    if (!res.ok) {
      const err = json as Partial<ErrorJson>;
      const reason = typeof err.reason === 'string' ? err.reason.slice(0, 64) : 'http-' + res.status;
      throw new ApiError(res.status, reason, typeof err.error === 'string' ? err.error.slice(0, MAX_ERROR_CHARS) : `HTTP ${res.status}`);
    }
    return json as T;
  }

  status(): Promise<StatusJson> {
    return this.request('GET', '/api/status');
  }

  blocks(opts: { from?: number; limit?: number } = {}): Promise<BlockSummaryJson[]> {
    const q = new URLSearchParams();
    if (opts.from !== undefined) q.set('from', String(opts.from));
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    const qs = q.toString();
    return this.request('GET', '/api/blocks' + (qs ? '?' + qs : ''));
  }

  block(ref: string | number): Promise<BlockJson> {
    return this.request('GET', '/api/blocks/' + encodeURIComponent(String(ref)));
  }

  tx(id: string): Promise<TxLookupJson> {
    return this.request('GET', '/api/txs/' + encodeURIComponent(id));
  }

  account(address: string): Promise<AccountJson> {
    return this.request('GET', '/api/accounts/' + encodeURIComponent(address));
  }

  peers(): Promise<PeersJson> {
    return this.request('GET', '/api/peers');
  }

  tips(limit?: number): Promise<ChainTipJson[]> {
    return this.request('GET', '/api/tips' + (limit === undefined ? '' : `?limit=${limit}`));
  }

  mempool(): Promise<MempoolEntryJson[]> {
    return this.request('GET', '/api/mempool');
  }

  submitTx(tx: TransferTxJson): Promise<SubmitTxJson> {
    return this.request('POST', '/api/txs', tx);
  }
}
