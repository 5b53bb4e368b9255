// The API's doors against a hostile web page and a hostile client, through real sockets on
// 127.0.0.1 (issue 18): DNS rebinding (foreign Host), cross-origin WebSockets and POSTs, a 413 that
// Node's fetch can read, non-JSON POSTs (415), per-IP caps for non-loopback clients, slow event
// consumers, and the mempool's refusal reasons passed through.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import { txToJson, encodeAddress } from '../../../src/core/index.js';
import type { ErrorJson } from '../../../src/api/index.js';
import { transfer, testAddress } from '../../helpers/fixtures.js';
import { startApi, EventClient, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
before(async () => {
  h = await startApi({ allowHosts: ['node.example.lan'] });
});
after(async () => {
  await h.close();
});

interface RawAnswer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** One HTTP request with exactly the headers given (Host included), through node:http. */
function raw(base: string, opts: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer }): Promise<RawAnswer> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const reasonOf = (a: RawAnswer): string => (JSON.parse(a.body) as ErrorJson).reason;

test('DNS rebinding: a request with a foreign Host gets 403 forbidden-host', async () => {
  const port = new URL(h.url).port;
  for (const host of ['attacker.example', `attacker.example:${port}`, 'attacker.example.', '127.0.0.1.attacker.example', 'localhost.attacker.example', '[::2]']) {
    const a = await raw(h.url, { path: '/api/status', headers: { host } });
    assert.equal(a.status, 403, host);
    assert.equal(reasonOf(a), 'forbidden-host', host);
  }
  // The explorer page and POSTs are behind the same door.
  assert.equal((await raw(h.url, { path: '/', headers: { host: 'attacker.example' } })).status, 403);
  const post = await raw(h.url, { method: 'POST', path: '/api/txs', headers: { host: 'attacker.example', 'content-type': 'application/json' }, body: Buffer.from('{}') });
  assert.equal(post.status, 403);
  assert.equal(reasonOf(post), 'forbidden-host');
  // Loopback names and addresses, and a name the operator allowed, are answered.
  for (const host of ['localhost', `localhost:${port}`, `127.0.0.1:${port}`, '127.0.0.2', `[::1]:${port}`, 'app.localhost', `node.example.lan:${port}`, 'NODE.EXAMPLE.LAN']) {
    assert.equal((await raw(h.url, { path: '/api/status', headers: { host } })).status, 200, host);
  }
});

test('cross-origin WebSocket to /api/events is refused, same-origin is accepted', async () => {
  const port = new URL(h.url).port;
  const refused = (headers: Record<string, string>): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(h.url.replace(/^http/, 'ws') + '/api/events', { headers, perMessageDeflate: false });
      ws.on('open', () => {
        ws.terminate();
        reject(new Error(`WebSocket opened with ${JSON.stringify(headers)}`));
      });
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('error', () => {});
    });
  for (const origin of ['http://attacker.example', `http://attacker.example:${port}`, 'null', `http://127.0.0.1:${Number(port) + 1}`, `ftp://127.0.0.1:${port}`]) {
    const r = await refused({ origin });
    assert.equal(r.status, 403, origin);
    assert.equal(JSON.parse(r.body).reason, 'forbidden-origin', origin);
  }
  const rebound = await refused({ host: `attacker.example:${port}`, origin: `http://attacker.example:${port}` });
  assert.equal(rebound.status, 403);
  assert.equal(JSON.parse(rebound.body).reason, 'forbidden-host');

  // Same origin (the explorer page), and a client that sends no Origin at all, are served.
  const sameOrigin: Record<string, string>[] = [{ origin: `http://127.0.0.1:${port}` }, { origin: `http://localhost:${port}`, host: `localhost:${port}` }, {}];
  for (const headers of sameOrigin) {
    const c = await EventClient.connect(h.url, headers);
    try {
      const hello = await c.next((m) => m.type === 'hello');
      assert.equal(hello.genesis, h.chain.genesis.idHex);
    } finally {
      c.close();
    }
  }
});

test('cross-origin POST is refused with forbidden-origin; a non-JSON POST with 415 unsupported-media-type', async () => {
  const port = new URL(h.url).port;
  const tx = JSON.stringify(txToJson(transfer('alice', testAddress('bob'), 5n, 0n, h.chain.genesis.id)));
  const cross = await raw(h.url, { method: 'POST', path: '/api/txs', headers: { host: `127.0.0.1:${port}`, origin: 'http://attacker.example', 'content-type': 'application/json' }, body: Buffer.from(tx) });
  assert.equal(cross.status, 403);
  assert.equal(reasonOf(cross), 'forbidden-origin');
  // A "simple" cross-site request (no preflight): text/plain, form encodings, or no type at all.
  for (const type of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
    const r = await fetch(h.url + '/api/txs', { method: 'POST', body: Buffer.from(tx), headers: type ? { 'content-type': type } : {} });
    assert.equal(r.status, 415, String(type));
    assert.equal(((await r.json()) as ErrorJson).reason, 'unsupported-media-type');
  }
  assert.equal(h.mempool.size, 0, 'nothing was admitted');
  // application/json with parameters, any case, is the real thing.
  const ok = await fetch(h.url + '/api/txs', { method: 'POST', body: tx, headers: { 'content-type': 'Application/JSON; charset=utf-8', origin: h.url } });
  assert.equal(ok.status, 202);
  await h.mine();
});

test('unreadable 413: a 5 MiB POST is read as 413 body-too-large by Node fetch 20 times out of 20', async () => {
  const big = new Uint8Array(5 * 1024 * 1024).fill(0x20);
  for (let i = 0; i < 20; i++) {
    const r = await fetch(h.url + '/api/txs', { method: 'POST', body: big, headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 413, `try ${i}`);
    assert.equal(r.headers.get('connection'), 'close');
    assert.equal(((await r.json()) as ErrorJson).reason, 'body-too-large', `try ${i}`);
  }
  // Streamed without a Content-Length (chunked): refused when the count passes the limit, still readable.
  for (let i = 0; i < 5; i++) {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (let k = 0; k < 5; k++) c.enqueue(new Uint8Array(1024 * 1024).fill(0x20));
        c.close();
      },
    });
    const r = await fetch(h.url + '/api/txs', { method: 'POST', body, headers: { 'content-type': 'application/json' }, duplex: 'half' } as RequestInit);
    assert.equal(r.status, 413, `streamed try ${i}`);
    assert.equal(((await r.json()) as ErrorJson).reason, 'body-too-large');
  }
  // A client still sending (a slow uplink: 5 MiB paced over ~1 s) that reads only once it is done:
  // closing with its body unread would reset the connection, and the reset throws away the answer
  // waiting in the client's receive buffer. The server drains instead, then closes cleanly.
  const port = Number(new URL(h.url).port);
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  s.pause();
  const closed = new Promise<void>((r) => s.once('close', () => r()));
  await new Promise<void>((r) => s.once('connect', () => r()));
  s.write(`POST /api/txs HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${5 * 1024 * 1024}\r\n\r\n`);
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  for (let sent = 0; sent < 5 * 1024 * 1024 && !s.destroyed; sent += chunk.length) {
    s.write(chunk);
    await new Promise((r) => setTimeout(r, 10));
  }
  let text = '';
  s.on('data', (c: Buffer) => (text += c.toString('latin1')));
  s.resume();
  await closed;
  assert.match(text, /^HTTP\/1\.1 413 /, 'the slow sender read its 413');
  assert.match(text, /"reason":"body-too-large"/);
  // Any early refusal of a request with a body is readable the same way.
  const wrongType = await fetch(h.url + '/api/txs', { method: 'POST', body: big, headers: { 'content-type': 'text/plain' } });
  assert.equal(wrongType.status, 415);
  assert.equal(((await wrongType.json()) as ErrorJson).reason, 'unsupported-media-type');
  const nowhere = await fetch(h.url + '/api/nowhere', { method: 'POST', body: big, headers: { 'content-type': 'application/json' } });
  assert.equal(nowhere.status, 404);
  assert.equal(((await nowhere.json()) as ErrorJson).reason, 'not-found');
  assert.equal((await fetch(h.url + '/api/status')).status, 200);
});

test('a body beyond the drain bound gets its answer and a close, not a read of every byte', async () => {
  const x = await startApi({ limits: { drainMaxBytes: 64 * 1024 } });
  try {
    const u = new URL(x.url);
    const s = connect(Number(u.port), '127.0.0.1');
    s.on('error', () => {});
    let text = '';
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    s.on('data', (c: Buffer) => (text += c.toString('latin1')));
    s.write(`POST /api/txs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n`);
    await closed; // the server closes although 100 MiB were announced and none sent
    assert.match(text, /^HTTP\/1\.1 413 /);
    assert.match(text, /"reason":"body-too-large"/);
  } finally {
    await x.close();
  }
});

test('non-loopback clients: 429 rate-limited with Retry-After past the burst', async () => {
  const x = await startApi({ limits: { loopbackExempt: false, requestBurstPerIp: 5, requestsPerSecondPerIp: 0.01 } });
  try {
    for (let i = 0; i < 5; i++) assert.equal((await fetch(x.url + '/api/status')).status, 200, `request ${i}`);
    const r = await fetch(x.url + '/api/status');
    assert.equal(r.status, 429);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);
    assert.equal(((await r.json()) as ErrorJson).reason, 'rate-limited');
  } finally {
    await x.close();
  }
});

test('non-loopback clients: 429 too-many-connections past the per-IP connection cap', async () => {
  const x = await startApi({ limits: { loopbackExempt: false, maxConnectionsPerIp: 2 } });
  const sockets: Socket[] = [];
  try {
    const port = Number(new URL(x.url).port);
    const answers: Promise<string>[] = [];
    for (let i = 0; i < 3; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      sockets.push(s);
      await new Promise<void>((r) => s.once('connect', () => r()));
      answers.push(new Promise((resolve) => {
        let t = '';
        s.on('data', (c: Buffer) => {
          t += c.toString('latin1');
          if (/\r\n\r\n[\s\S]*\}$/.test(t)) resolve(t);
        });
      }));
    }
    // All three connections are open (and counted) before any request is sent.
    for (const s of sockets) s.write('GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const got = await Promise.all(answers);
    assert.match(got[0]!, /^HTTP\/1\.1 200 /);
    assert.match(got[1]!, /^HTTP\/1\.1 200 /);
    assert.match(got[2]!, /^HTTP\/1\.1 429 /);
    assert.match(got[2]!, /"reason":"too-many-connections"/);
  } finally {
    for (const s of sockets) s.destroy();
    await x.close();
  }
});

test('loopback clients are held to the per-connection limits only: a burst of 400 POSTs and GETs all answered', async () => {
  const x = await startApi({ limits: { requestBurstPerIp: 5, requestsPerSecondPerIp: 0.01, maxConnectionsPerIp: 2 } });
  try {
    const results = await Promise.all(Array.from({ length: 400 }, (_, i) =>
      i % 2 === 0
        ? fetch(x.url + '/api/status').then((r) => r.status)
        : fetch(x.url + '/api/txs', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }).then((r) => r.status),
    ));
    assert.deepEqual([...new Set(results)].sort(), [200, 400]);
  } finally {
    await x.close();
  }
});

test('slow event consumer: a client that stops reading is closed with 1008 slow-consumer', async () => {
  const x = await startApi({ limits: { maxEventBufferedBytes: 64 * 1024, eventCloseGraceMs: 60_000 } });
  try {
    const c = await EventClient.connect(x.url);
    await c.next((m) => m.type === 'hello');
    const socket = (c.ws as unknown as { _socket: Socket })._socket;
    socket.pause();
    const reason = 'x'.repeat(4096);
    // Far more than kernel buffers hold, so the server's own queue for this client passes its bound.
    for (let i = 0; i < 4000; i++) x.peerEvents.emit('peer', { event: 'banned', reason: `${i} ${reason}` });
    socket.resume();
    const code = await c.closed;
    assert.equal(code, 1008);
    assert.ok(c.messages.length < 4000, `got ${c.messages.length} of 4000 events: the queue was not bounded`);
    // Other clients are unaffected.
    const d = await EventClient.connect(x.url);
    await d.next((m) => m.type === 'hello');
    d.close();
  } finally {
    await x.close();
  }
});

test('mempool refusals pass through as {error, reason}', async () => {
  const genesis = h.chain.genesis.id;
  const next = BigInt(((await (await fetch(h.url + '/api/accounts/' + encodeAddress(testAddress('alice')))).json()) as { pendingNonce: string }).pendingNonce);
  const post = async (tx: ReturnType<typeof transfer>): Promise<{ status: number; body: ErrorJson }> => {
    const r = await fetch(h.url + '/api/txs', { method: 'POST', body: JSON.stringify(txToJson(tx)), headers: { 'content-type': 'application/json' } });
    return { status: r.status, body: (await r.json()) as ErrorJson };
  };
  const far = await post(transfer('alice', testAddress('bob'), 1n, next + 1000n, genesis));
  assert.equal(far.status, 400);
  assert.equal(far.body.reason, 'nonce-too-far');
  assert.equal((await post(transfer('alice', testAddress('bob'), 1n, next, genesis, 1000n))).status, 202);
  const cheap = await post(transfer('alice', testAddress('carol'), 1n, next, genesis, 1001n));
  assert.equal(cheap.status, 400);
  assert.equal(cheap.body.reason, 'rbf-fee-too-low');
  assert.equal(typeof cheap.body.error, 'string');
  await h.mine();
});

test('pipelined requests within the per-connection queue are all answered, in order; a deeper pipeline is cut off', async () => {
  const port = Number(new URL(h.url).port);
  const pipeline = (count: number): Promise<string> =>
    new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      let text = '';
      s.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        if (text.split('HTTP/1.1 ').length - 1 === count) s.end();
      });
      s.once('close', () => resolve(text));
      let req = '';
      for (let i = 0; i < count; i++) req += `GET ${i % 2 ? '/api/blocks/0' : '/api/status'} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
      s.write(req);
    });
  const answers = (await pipeline(60)).split('HTTP/1.1 ').slice(1);
  assert.equal(answers.length, 60);
  answers.forEach((a, i) => {
    assert.match(a, /^200 /, `answer ${i}`);
    assert.match(a, i % 2 ? /"height":0/ : /"network":/, `answer ${i} is for request ${i}`);
  });
  const deep = (await pipeline(1000)).split('HTTP/1.1 ').length - 1;
  assert.ok(deep < 1000, `a 1,000-deep pipeline got ${deep} answers: it should have been cut off`);
});
