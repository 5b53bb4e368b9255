// `Expect: 100-continue` through raw sockets (node:net): a client that asks before sending its body
// gets 100 Continue only when the route wants the body and its declared length fits; any refusal
// (over the limit, unknown route, a GET, a wrong content type) is the final answer alone, so the
// body is never sent. Named after the defect: Node's default sent 100 before every 413.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { txToJson } from '../../../src/core/index.js';
import type { ErrorJson } from '../../../src/api/index.js';
import { transfer, testAddress } from '../../helpers/fixtures.js';
import { startApi, type ApiHarness } from './api-harness.js';

interface Exchange {
  /** Whether a 100 Continue arrived (the body is sent only then). */
  continued: boolean;
  status: number;
  body: string;
}

/**
 * Sends `head` (ending in the blank line), then `body` only if a 100 Continue comes; resolves with
 * the final answer once it is complete, the socket closed, or after 10 s.
 */
function exchange(h: ApiHarness, head: string, body = ''): Promise<Exchange> {
  return new Promise((resolve) => {
    const s = connect({ port: Number(new URL(h.url).port), host: '127.0.0.1' });
    let got = '';
    let continued = false;
    const finish = (): void => {
      clearTimeout(timer);
      s.destroy();
      const m = /^HTTP\/1\.1 (\d{3}) [^\r]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(got);
      resolve({ continued, status: Number(m?.[1] ?? 0), body: m?.[3] ?? '' });
    };
    const timer = setTimeout(finish, 10_000);
    s.on('error', () => {});
    s.once('close', finish);
    s.on('data', (c: Buffer) => {
      got += c.toString('latin1');
      const interim = /^HTTP\/1\.1 100 [^\r]*\r\n\r\n/.exec(got);
      if (interim) {
        got = got.slice(interim[0].length);
        if (!continued) s.write(body);
        continued = true;
      }
      const m = /^HTTP\/1\.1 \d{3} [^\r]*\r\n([\s\S]*?)\r\n\r\n/.exec(got);
      const length = Number(/(?:^|\r\n)content-length: *(\d+)/i.exec(m?.[1] ?? '')?.[1] ?? NaN);
      if (m && got.length - m[0].length >= length) finish();
    });
    s.write(head);
  });
}

const reasonOf = (e: Exchange): string | undefined => {
  try {
    return (JSON.parse(e.body) as ErrorJson).reason;
  } catch {
    return undefined;
  }
};

function postHead(h: ApiHarness, path: string, length: number, type = 'application/json'): string {
  return `POST ${path} HTTP/1.1\r\nHost: ${new URL(h.url).host}\r\nContent-Type: ${type}\r\nContent-Length: ${length}\r\nExpect: 100-continue\r\n\r\n`;
}

test('Expect 100-continue with an oversized body', async (t) => {
  const h = await startApi();
  t.after(() => h.close());
  const limit = 1 << 20;
  const over = await exchange(h, postHead(h, '/api/txs', limit + 1), 'x'.repeat(limit + 1));
  assert.equal(over.continued, false, 'no 100 Continue for a body over the limit: the client never sends it');
  assert.equal(over.status, 413);
  assert.equal(reasonOf(over), 'body-too-large');

  // An acceptable one still works: 100, then the body, then 202.
  const tx = JSON.stringify(txToJson(transfer('alice', testAddress('bob'), 250n, 0n, h.chain.genesis.id)));
  const ok = await exchange(h, postHead(h, '/api/txs', Buffer.byteLength(tx)), tx);
  assert.equal(ok.continued, true, '100 Continue for an acceptable body');
  assert.equal(ok.status, 202, ok.body);
  assert.equal(h.mempool.entries().length, 1);
});

test('Expect 100-continue on a request that will be refused or takes no body: the final answer alone', async (t) => {
  const h = await startApi();
  t.after(() => h.close());
  const host = new URL(h.url).host;
  const unknown = await exchange(h, postHead(h, '/api/nope', 10), '0123456789');
  assert.deepEqual([unknown.continued, unknown.status, reasonOf(unknown)], [false, 404, 'not-found'], 'unknown route');
  const wrongType = await exchange(h, postHead(h, '/api/txs', 10, 'text/plain'), '0123456789');
  assert.deepEqual([wrongType.continued, wrongType.status, reasonOf(wrongType)], [false, 415, 'unsupported-media-type'], 'wrong content type');
  const getWithBody = await exchange(h, `GET /api/status HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n`, 'hello');
  assert.deepEqual([getWithBody.continued, getWithBody.status, reasonOf(getWithBody)], [false, 413, 'body-too-large'], 'a GET carries no body');
  const get = await exchange(h, `GET /api/status HTTP/1.1\r\nHost: ${host}\r\nExpect: 100-continue\r\n\r\n`);
  assert.deepEqual([get.continued, get.status], [false, 200], 'a GET without a body: its answer, no 100');
  const badHost = await exchange(h, `POST /api/txs HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n`, '0123456789');
  assert.deepEqual([badHost.continued, badHost.status, reasonOf(badHost)], [false, 403, 'forbidden-host'], 'refused at the doors');
  const other = await exchange(h, `GET /api/status HTTP/1.1\r\nHost: ${host}\r\nExpect: something-else\r\n\r\n`);
  assert.deepEqual([other.continued, other.status, reasonOf(other)], [false, 417, 'expectation-failed'], 'an unknown expectation: a readable 417');
  assert.equal((await fetch(h.url + '/api/status')).status, 200, 'the node answers on');
});
