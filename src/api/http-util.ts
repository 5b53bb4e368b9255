// Small HTTP helpers for the API server: a coded error that becomes `{error, reason}`, JSON
// replies, and a bounded body reader that refuses an oversized request without buffering it.
import type { IncomingMessage, ServerResponse } from 'node:http';
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

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, reason: string, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: message, reason }, headers);
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

/** Parses JSON text; any failure is a 400 `malformed-json`. */
export function parseJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'malformed-json', 'expected a JSON body, got an empty one');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, 'malformed-json', `request body is not valid JSON: ${(e as Error).message}`);
  }
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
