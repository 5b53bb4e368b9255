// The HTTP API against a hostile client, through real sockets on loopback (round 7 red-team pass):
// each test is named after a defect that pass found and fails on the code before its fix. What held
// without a change (slowloris headers and bodies, idle keep-alive, huge query strings, thousands of
// event subscribers, subscribers that never read, HEAD/OPTIONS, path traversal on the explorer's
// files) is covered in api-doors.test.ts, api-flood.test.ts and api-server.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { WebSocket } from 'ws';
import type { ApiLimits, ErrorJson } from '../../../src/api/index.js';
import { ClientLimiter, addressGroup } from '../../../src/api/guards.js';
import { startApi, type ApiHarness } from './api-harness.js';

/** One raw HTTP/1.1 exchange from `localAddress` (another 127/8 address is another client IP). */
function exchange(url: string, text: string, localAddress = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ port: Number(new URL(url).port), host: '127.0.0.1', localAddress });
    let got = '';
    s.on('data', (c: Buffer) => (got += c.toString('latin1')));
    s.on('error', () => {});
    s.once('close', () => resolve(got));
    s.write(text);
  });
}

const statusOf = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1] ?? 0);
const reasonOf = (answer: string): string | undefined => {
  const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  try {
    return (JSON.parse(body) as ErrorJson).reason;
  } catch {
    return undefined;
  }
};

async function withApi(limits: Partial<ApiLimits>, fn: (h: ApiHarness) => Promise<void>, t: { after(fn: () => unknown): void }): Promise<void> {
  const h = await startApi({ limits });
  t.after(() => h.close());
  await fn(h);
}

test('deeply nested JSON stalls the event loop: a nested body on POST /api/txs is refused as json-too-deep before it is parsed', async (t) => {
  await withApi({}, async (h) => {
    const post = async (body: string): Promise<{ status: number; reason: string }> => {
      const r = await fetch(h.url + '/api/txs', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { status: r.status, reason: ((await r.json()) as ErrorJson).reason };
    };
    // Just under the body limit: JSON.parse of this takes about a second of the node's only thread.
    const depth = (1 << 19) - 16;
    assert.deepEqual(await post('['.repeat(depth) + ']'.repeat(depth)), { status: 400, reason: 'json-too-deep' });
    assert.deepEqual(await post('{"a":'.repeat(64) + '1' + '}'.repeat(64)), { status: 400, reason: 'json-too-deep' });
    // Brackets inside strings (escaped quotes included) are text, not nesting.
    const inString = JSON.stringify({ kind: 'transfer', chainId: '\\"' + '['.repeat(10_000) });
    assert.deepEqual(await post(inString), { status: 400, reason: 'malformed' });
    assert.equal((await fetch(h.url + '/api/status')).status, 200, 'the node answers on');
  }, t);
});

test('idle connections from one address take every connection slot: past twice its share, its connections are closed at once', async (t) => {
  const share = 2;
  const slots = 12;
  // Header and idle timeouts far away: without the fix the attacker's sockets would hold their slots.
  await withApi({ loopbackExempt: false, maxConnectionsPerIp: share, maxConnections: slots, headersTimeoutMs: 120_000, requestTimeoutMs: 120_000, idleTimeoutMs: 120_000 }, async (h) => {
    const attacker: Socket[] = [];
    t.after(() => attacker.forEach((s) => s.destroy()));
    let closed = 0;
    let allClosed: () => void = () => {};
    const enoughClosed = new Promise<void>((r) => (allClosed = r));
    const port = Number(new URL(h.url).port);
    for (let i = 0; i < slots; i++) {
      const s = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
      s.on('error', () => {});
      s.once('close', () => {
        if (++closed >= slots - 2 * share) allClosed();
      });
      attacker.push(s);
      await new Promise<void>((r) => {
        s.once('connect', () => r());
        s.once('close', () => r());
      });
    }
    const bound = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref());
    assert.notEqual(await Promise.race([enoughClosed, bound]), 'timeout', `the server kept ${slots - closed} idle connections of one address open (share ${share})`);
    const answer = await exchange(h.url, 'GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', '127.0.0.3');
    assert.equal(statusOf(answer), 200, answer.slice(0, 200));
  }, t);
});

test('event subscribers from one address past its connection share: the upgrade is refused with 429 too-many-connections', async (t) => {
  await withApi({ loopbackExempt: false, maxConnectionsPerIp: 2 }, async (h) => {
    const open: WebSocket[] = [];
    t.after(() => open.forEach((ws) => ws.terminate()));
    const subscribe = (localAddress: string): Promise<number> =>
      new Promise((resolve) => {
        const ws = new WebSocket(h.url.replace(/^http/, 'ws') + '/api/events', { perMessageDeflate: false, localAddress });
        open.push(ws);
        ws.once('open', () => resolve(101));
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', () => resolve(0));
      });
    assert.equal(await subscribe('127.0.0.2'), 101);
    assert.equal(await subscribe('127.0.0.2'), 101);
    assert.equal(await subscribe('127.0.0.2'), 429);
    assert.equal(await subscribe('127.0.0.3'), 101, 'another address is not affected');
  }, t);
});

test('two Host headers: the request is refused with 400 bad-host, not judged by the first one', async (t) => {
  await withApi({}, async (h) => {
    for (const hosts of [['127.0.0.1', 'evil.example'], ['127.0.0.1', '127.0.0.1']]) {
      const answer = await exchange(h.url, `GET /api/status HTTP/1.1\r\n${hosts.map((x) => `Host: ${x}\r\n`).join('')}Connection: close\r\n\r\n`);
      assert.equal(statusOf(answer), 400, answer.slice(0, 200));
      assert.equal(reasonOf(answer), 'bad-host');
    }
  }, t);
});

test('an HTTP/1.1 request without Host gets a bare 400 that is not JSON: it is refused with a JSON 400 bad-host', async (t) => {
  await withApi({}, async (h) => {
    const answer = await exchange(h.url, 'GET /api/status HTTP/1.1\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(answer), 400, answer.slice(0, 200));
    assert.equal(reasonOf(answer), 'bad-host');
    const old = await exchange(h.url, 'GET /api/status HTTP/1.0\r\n\r\n');
    assert.equal(statusOf(old), 200, 'HTTP/1.0 has no Host to require');
  }, t);
});

test('an absolute-form request target naming a foreign host is answered: it is refused like a foreign Host header', async (t) => {
  await withApi({}, async (h) => {
    const foreign = await exchange(h.url, 'GET http://evil.example/api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    assert.equal(statusOf(foreign), 403, foreign.slice(0, 200));
    assert.equal(reasonOf(foreign), 'forbidden-host');
    const local = await exchange(h.url, `GET ${h.url}/api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.equal(statusOf(local), 200, local.slice(0, 200));
  }, t);
});

test('CONNECT gets no answer: it is refused with a JSON 405 method-not-allowed', async (t) => {
  await withApi({}, async (h) => {
    const answer = await exchange(h.url, 'CONNECT 127.0.0.1:80 HTTP/1.1\r\nHost: 127.0.0.1:80\r\n\r\n');
    assert.equal(statusOf(answer), 405, JSON.stringify(answer.slice(0, 200)));
    assert.equal(reasonOf(answer), 'method-not-allowed');
  }, t);
});

test('a GET with a large body is read whole and thrown away: a read with a body is refused with 413 body-too-large', async (t) => {
  await withApi({}, async (h) => {
    const body = 'x'.repeat(2 * 1024 * 1024);
    const sized = await exchange(h.url, `GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    assert.equal(statusOf(sized), 413, JSON.stringify(sized.slice(0, 200)));
    assert.equal(reasonOf(sized), 'body-too-large');
    const chunked = await exchange(h.url, `HEAD /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
    assert.equal(statusOf(chunked), 413, JSON.stringify(chunked.slice(0, 200)));
    const empty = await exchange(h.url, 'GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    assert.equal(statusOf(empty), 200, 'an empty declared body is no body');
  }, t);
});

test('IPv6 clients from one /64 evade the per-IP caps: the caps count a /64 as one address', () => {
  const limiter = new ClientLimiter({ maxConnectionsPerIp: 2, requestsPerSecondPerIp: 1, requestBurstPerIp: 2, maxTrackedIps: 100 }, () => 0);
  assert.equal(limiter.openConnection('2001:db8:1:2::a'), 1);
  assert.equal(limiter.openConnection('2001:db8:1:2:ffff:1:2:3'), 2, 'another address of the same /64 is the same client');
  assert.equal(limiter.openConnection('2001:db8:1:3::a'), 1, 'the next /64 is another client');
  assert.equal(limiter.takeRequest('2001:db8:1:2::b'), 0);
  assert.equal(limiter.takeRequest('2001:db8:1:2::c'), 0);
  assert.ok(limiter.takeRequest('2001:db8:1:2::d') > 0, 'the /64 shares one token bucket');
  limiter.closeConnection('2001:db8:1:2::a');
  assert.equal(limiter.openConnection('2001:db8:1:2::e'), 2, 'closing counts against the same /64');
  // Spellings of one /64 agree; IPv4 (mapped or not) is the address itself.
  assert.equal(addressGroup('2001:DB8:1:2::1'), addressGroup('2001:0db8:0001:0002:0:0:0:5'));
  assert.equal(addressGroup('64:ff9b::192.0.2.1'), addressGroup('64:ff9b:0:0:1:2:3:4'));
  assert.equal(addressGroup('::ffff:10.1.2.3'), '10.1.2.3');
  assert.equal(addressGroup('10.1.2.3'), '10.1.2.3');
  assert.notEqual(addressGroup('10.1.2.3'), addressGroup('10.1.2.4'));
});

/** An /api/events client that has had its hello, and the close code and reason it gets. */
async function subscriber(h: ApiHarness, t: { after(fn: () => unknown): void }): Promise<{ ws: WebSocket; closed: Promise<[number, string]> }> {
  const ws = new WebSocket(h.url.replace(/^http/, 'ws') + '/api/events', { perMessageDeflate: false });
  t.after(() => ws.terminate());
  const closed = new Promise<[number, string]>((resolve) => ws.once('close', (code, reason) => resolve([code, String(reason)])));
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('error', reject);
  });
  return { ws, closed };
}

test('event subscribers that send frames cost the node for nothing: a data frame on the listen-only stream is closed with 1008 listen-only', async (t) => {
  await withApi({}, async (h) => {
    const { ws, closed } = await subscriber(h, t);
    for (let i = 0; i < 1000 && ws.readyState === WebSocket.OPEN; i++) ws.send('x'.repeat(100));
    const bound = new Promise<'open'>((r) => setTimeout(() => r('open'), 10_000).unref());
    assert.deepEqual(await Promise.race([closed, bound]), [1008, 'listen-only']);
    assert.equal((await fetch(h.url + '/api/status')).status, 200);
  }, t);
});

test('event subscribers that ping without pause: past a small budget the client is closed with 1008 too-many-frames', async (t) => {
  await withApi({}, async (h) => {
    const { ws, closed } = await subscriber(h, t);
    let result: [number, string] | undefined;
    void closed.then((c) => (result = c));
    // One ping at a time, each answered before the next: the library's own bound (pongs left
    // unwritten) never trips, so only the hub's budget can stop this.
    for (let i = 0; i < 200 && !result && ws.readyState === WebSocket.OPEN; i++) {
      const answered = new Promise<void>((r) => {
        ws.once('pong', () => r());
        ws.once('close', () => r());
      });
      ws.ping(Buffer.alloc(8));
      await answered;
    }
    const bound = new Promise<'open'>((r) => setTimeout(() => r('open'), 10_000).unref());
    assert.deepEqual(await Promise.race([closed, bound]), [1008, 'too-many-frames']);
  }, t);
});
