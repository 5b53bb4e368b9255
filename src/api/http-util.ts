// Small HTTP helpers for the API server: a coded error that becomes `{error, reason}`, JSON
// replies, a bounded body reader that refuses an oversized request without buffering it, and the
// early refusal that still lets the client read its answer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { readFileSync } from 'node:fs';

/** An error that maps to an HTTP status and a stable reason code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const jsonHeaders = (length: number, headers: Record<string, string>): Record<string, string | number> => ({
  'content-type': 'application/json; charset=utf-8',
  'content-length': length,
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  ...headers,
});

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendEncoded(res, status, Buffer.from(JSON.stringify(body)), headers);
}

/** Sends JSON that is already encoded; the Buffer is written as is (shared answers are not copied). */
export function sendEncoded(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, jsonHeaders(body.length, headers));
  res.end(body);
}

export function sendError(res: ServerResponse, status: number, reason: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: message, reason }, headers);
}

/**
 * Requests that sent `Expect: 100-continue` and hold their body back until told to send it. The
 * 100 goes out only from `readBody`, once the route wants the body and its declared length fits:
 * a refusal (unknown route, GET, a length over the limit, a bad Host) is the final answer alone,
 * and the body is never sent.
 */
const awaitingContinue = new WeakMap<IncomingMessage, ServerResponse>();

/** `req` expects 100 Continue before its body (the server's 'checkContinue'). */
export function expectContinue(req: IncomingMessage, res: ServerResponse): void {
  awaitingContinue.set(req, res);
}

/** True while `req`'s client holds its body back for a 100 Continue not sent. */
export function holdsBody(req: IncomingMessage): boolean {
  return awaitingContinue.has(req);
}

/**
 * Reads a request body up to `limit` bytes. A declared Content-Length over the limit is refused
 * before a byte is read; a streamed body is counted and refused as soon as it crosses the limit.
 * Either way nothing past the limit is kept in memory.
 */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) {
    return Promise.reject(new HttpError(413, 'body-too-large', `request body is ${declared} bytes; the limit is ${limit}`));
  }
  const waiting = awaitingContinue.get(req);
  if (waiting) {
    awaitingContinue.delete(req);
    waiting.writeContinue();
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks, size));
    };
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        chunks.length = 0;
        finish(new HttpError(413, 'body-too-large', `request body exceeds the limit of ${limit} bytes`));
        return;
      }
      chunks.push(c);
    };
    const onEnd = (): void => finish();
    const onError = (e: Error): void => finish(new HttpError(400, 'bad-request', `request stream failed: ${e.message}`));
    const onAborted = (): void => finish(new HttpError(400, 'bad-request', 'request aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

/**
 * True when `body` nests arrays or objects deeper than `max` (strings skipped, escapes honoured).
 * JSON.parse takes about a second of the only thread for a 1 MiB body of nested brackets (against
 * 20 ms for a flat one), so nesting is counted first, in one pass over the bytes.
 */
export function nestedDeeperThan(body: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next byte is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Parses JSON text; nesting past `maxDepth` is a 400 `json-too-deep`, any other failure a 400 `malformed-json`. */
export function parseJson(body: Buffer, maxDepth = Number.POSITIVE_INFINITY): unknown {
  if (nestedDeeperThan(body, maxDepth)) throw new HttpError(400, 'json-too-deep', `request body nests arrays or objects deeper than ${maxDepth}`);
  const text = body.toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'malformed-json', 'expected a JSON body, got an empty one');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, 'malformed-json', `request body is not valid JSON: ${(e as Error).message}`);
  }
}

/** True when the request declares a JSON body (`application/json`, any parameters, any case). */
export function isJsonContentType(header: string | undefined): boolean {
  return header !== undefined && header.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * Answers a request whose body has not been read (413, 415, 403, ...) so that the client can read
 * the answer: the complete answer goes out with `Connection: close`, then the rest of the body is
 * read and thrown away, and only then is the connection closed. Closing with unread data would
 * reset the connection under a client that is still sending (Node's fetch then reports "fetch
 * failed" instead of the answer). The draining is bounded: a body declared or found larger than
 * `maxBytes`, or one still arriving after `timeoutMs`, gets the answer and an immediate close.
 */
export function refuseAndDrain(
  req: IncomingMessage,
  res: ServerResponse,
  bound: { maxBytes: number; timeoutMs: number },
  status: number,
  reason: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return void req.socket.destroy();
  const body = Buffer.from(JSON.stringify({ error: message, reason }));
  res.writeHead(status, jsonHeaders(body.length, { ...headers, connection: 'close' }));
  const declared = Number(req.headers['content-length']);
  // A client holding its body for a 100 Continue sends nothing to drain: answer and close.
  if (req.complete || declared > bound.maxBytes || holdsBody(req)) {
    res.end(body);
    return;
  }
  // The answer is complete on the wire (Content-Length); end() waits, because Node closes the
  // socket as soon as a `Connection: close` answer finishes.
  res.write(body);
  const socket = req.socket;
  let drained = 0;
  const done = (close: boolean): void => {
    clearTimeout(timer);
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
    if (close) socket.destroy();
    else res.end();
  };
  const onData = (c: Buffer): void => {
    drained += c.length;
    if (drained > bound.maxBytes) done(true);
  };
  const onEnd = (): void => done(false);
  const onError = (): void => done(true);
  const timer = setTimeout(() => done(true), bound.timeoutMs);
  timer.unref();
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
  req.resume();
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 503: 'Service Unavailable',
};

/** A whole JSON answer written straight to a socket (before HTTP parsing, instead of an upgrade or a tunnel). */
export function rawRefusal(socket: Duplex, status: number, reason: string, message: string): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify({ error: message, reason });
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

let version: string | undefined;
/** This package's version (package.json three levels above dist/src/api), for the OpenAPI info. */
export function packageVersion(): string {
  if (version === undefined) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      version = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      version = '0.0.0';
    }
  }
  return version;
}
