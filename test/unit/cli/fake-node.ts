// A hostile stand-in for a kadchain node: a tiny HTTP server on 127.0.0.1 whose answers the test
// chooses (wrong genesis, bad nonces, escape codes, redirects, huge bodies), recording every
// POST /api/txs so a test can assert that nothing was signed and sent.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { transferFromJson, txIdHex } from '../../../src/core/index.js';

export interface FakeReply {
  status?: number;
  /** JSON-encoded unless a string is given as raw. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
}

/** `body` is the request body as received (POSTs). */
export type FakeRoute = (req: IncomingMessage, body?: string) => FakeReply | undefined;

export interface FakeNode {
  url: string;
  /** Bodies of every POST /api/txs received, parsed. */
  posts: unknown[];
  /** Replaces the answers from now on. */
  route(r: FakeRoute): void;
  close(): Promise<void>;
}

export async function startFakeNode(initial: FakeRoute): Promise<FakeNode> {
  let route = initial;
  const posts: unknown[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      if (body.length < 1 << 20) body += c;
    });
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/api/txs') {
        try {
          posts.push(JSON.parse(body));
        } catch {
          posts.push(body);
        }
      }
      const r = route(req, body) ?? { status: 404, body: { error: 'not found', reason: 'not-found' } };
      const text = r.raw ?? JSON.stringify(r.body ?? {});
      res.writeHead(r.status ?? 200, { 'content-type': 'application/json', ...r.headers });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    route: (r) => void (route = r),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Answers /api/status and /api/accounts/* like a node of `network` whose account is at `nonce`. */
export function honestRoutes(o: { network: string; genesis: string; address: string; nonce?: unknown; pendingNonce?: unknown }): FakeRoute {
  return (req, body) => {
    if (req.method === 'GET' && req.url === '/api/status') return { body: { network: o.network, genesis: o.genesis, height: 3, tip: 'ab'.repeat(32) } };
    if (req.method === 'GET' && req.url === `/api/accounts/${o.address}`) {
      return { body: { address: o.address, balance: '100000000000', nonce: o.nonce ?? '0', pendingNonce: o.pendingNonce ?? o.nonce ?? '0' } };
    }
    // The id an honest node answers: the transaction's own.
    if (req.method === 'POST' && req.url === '/api/txs') return { status: 202, body: { id: txIdHex(transferFromJson(JSON.parse(body ?? ''))) } };
    return undefined;
  };
}
