// The CLI's HTTP client against a hostile node, in-process: replies over the size cap are cut off
// (declared or streamed), redirects are refused (also for the POST of a tx, which never reaches the
// redirect's target), and a connection dropped under a request is retried once, on a new one.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { ApiClient, ApiError } from '../../../src/api/client.js';
import type { TransferTxJson } from '../../../src/core/index.js';
import { startFakeNode, type FakeNode } from './fake-node.js';

const nodes: FakeNode[] = [];
after(async () => {
  for (const n of nodes) await n.close();
});
async function fake(...args: Parameters<typeof startFakeNode>): Promise<FakeNode> {
  const n = await startFakeNode(...args);
  nodes.push(n);
  return n;
}
const reason = (r: string) => (e: unknown) => e instanceof ApiError && e.reason === r;
const TX = { kind: 'transfer', chainId: '00'.repeat(32), from: '11'.repeat(32), to: 'kc1x', amount: '1', fee: '1', nonce: '0', signature: '22'.repeat(64) } as TransferTxJson;

test('client caps reply size: a streamed reply over the cap is refused, one under it is read', async () => {
  const big = JSON.stringify({ network: 'x'.repeat(4096) });
  const node = await fake((req) => (req.url === '/api/status' ? { raw: big } : undefined));
  await assert.rejects(new ApiClient(node.url, { maxReplyBytes: 1024 }).status(), reason('reply-too-large'));
  assert.equal((await new ApiClient(node.url, { maxReplyBytes: 8192 }).status()).network.length, 4096);
});

test('client refuses redirects, also for the POST of a tx: the target never sees it', async () => {
  const target = await fake(() => ({ status: 202, body: { id: 'ab'.repeat(32) } }));
  const node = await fake(() => ({ status: 307, headers: { location: `${target.url}/api/txs` }, raw: '' }));
  await assert.rejects(new ApiClient(node.url).submitTx(TX), reason('redirect'));
  await assert.rejects(new ApiClient(node.url).status(), reason('redirect'));
  assert.equal(node.posts.length, 1, 'the POST went to the URL given');
  assert.equal(target.posts.length, 0, 'and nowhere else');
});

test('client retries once when the connection drops under a request', async () => {
  let calls = 0;
  const node = await fake((req) => {
    if (++calls === 1) {
      req.socket.destroy();
      return { raw: '' };
    }
    return { status: 202, body: { id: 'cd'.repeat(32) } };
  });
  assert.equal((await new ApiClient(node.url).submitTx(TX)).id, 'cd'.repeat(32));
  assert.equal(calls, 2);
});
