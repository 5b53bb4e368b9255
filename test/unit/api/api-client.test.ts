// The typed API client against a real server: typed answers, ApiError with the server's reason,
// and NodeUnreachableError ("cannot reach node at URL") when nothing listens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { encodeAddress, txToJson, type TransferTxJson } from '../../../src/core/index.js';
import { ApiClient, ApiError, NodeUnreachableError } from '../../../src/api/index.js';
import { transfer, testAddress } from '../../helpers/fixtures.js';
import { extend } from '../../helpers/chain-helpers.js';
import { startApi, deadPort, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
before(async () => {
  h = await startApi();
  await extend(h.chain, 2);
});
after(async () => {
  await h.close();
});

test('client reads every route with types', async () => {
  const c = new ApiClient(h.url + '/');
  assert.equal(c.baseUrl, h.url);
  const s = await c.status();
  assert.equal(s.height, 2);
  assert.deepEqual((await c.blocks({ limit: 2 })).map((b) => b.height), [2, 1]);
  assert.deepEqual((await c.blocks({ from: 0, limit: 2 })).map((b) => b.height), [0, 1]);
  assert.equal((await c.block(1)).height, 1);
  assert.equal((await c.block(s.tip)).id, s.tip);
  const alice = encodeAddress(testAddress('alice'));
  assert.equal((await c.account(alice)).pendingNonce, '0');
  const tx = txToJson(transfer('alice', testAddress('bob'), 5n, 0n, h.chain.genesis.id)) as TransferTxJson;
  const { id } = await c.submitTx(tx);
  assert.equal((await c.tx(id)).status, 'pending');
  assert.equal((await c.mempool()).length, 1);
  assert.equal((await c.peers()).connected.length, 1);
});

test('an error answer becomes ApiError with status and reason', async () => {
  const c = new ApiClient(h.url);
  await assert.rejects(c.block('ff'.repeat(32)), (e: unknown) => e instanceof ApiError && e.status === 404 && e.reason === 'not-found');
  await assert.rejects(c.account('kc1nope'), (e: unknown) => e instanceof ApiError && e.status === 400 && e.reason === 'bad-address');
});

test('nothing listening: NodeUnreachableError "cannot reach node at URL"', async () => {
  const url = `http://127.0.0.1:${await deadPort()}`;
  await assert.rejects(new ApiClient(url).status(), (e: unknown) => e instanceof NodeUnreachableError && e.message === `cannot reach node at ${url}`);
  assert.throws(() => new ApiClient('not a url'), (e: unknown) => e instanceof ApiError && e.reason === 'bad-url');
});
