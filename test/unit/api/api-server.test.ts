// The HTTP API against a real chain (LevelDB temp dir), a real mempool and real HTTP on
// 127.0.0.1: every route, and hostile input (bad JSON, huge bodies, wrong types, bad signatures,
// bad checksums, replays), each answered with a 4xx and a named reason while the server lives on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { blockIdHex, encodeAddress, txToJson, txIdHex, type TransferTxJson } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import type { AccountJson, BlockJson, BlockSummaryJson, ChainTipJson, MempoolEntryJson, PeersJson, StatusJson, TxLookupJson } from '../../../src/api/index.js';
import { transfer, testAddress } from '../../helpers/fixtures.js';
import { extend, childOf, tipEntry } from '../../helpers/chain-helpers.js';
import { startApi, FAKE_PEERS, type ApiHarness } from './api-harness.js';

let h: ApiHarness;
const alice = (): string => encodeAddress(testAddress('alice'));
const bob = (): string => encodeAddress(testAddress('bob'));

async function get<T>(path: string): Promise<{ status: number; body: T; headers: Headers }> {
  const r = await fetch(h.url + path);
  return { status: r.status, body: (await r.json()) as T, headers: r.headers };
}

async function post(body: string | Blob, path = '/api/txs'): Promise<{ status: number; body: { id?: string; error?: string; reason?: string } }> {
  const r = await fetch(h.url + path, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  return { status: r.status, body: (await r.json()) as { id?: string; error?: string; reason?: string } };
}

async function stillAlive(): Promise<void> {
  const r = await get<StatusJson>('/api/status');
  assert.equal(r.status, 200);
}

async function expectRefused(body: string | Blob, status: number, reason: string): Promise<void> {
  const r = await post(body);
  assert.equal(r.status, status, `expected ${status} ${reason}, got ${r.status} ${JSON.stringify(r.body)}`);
  assert.equal(r.body.reason, reason);
  assert.equal(typeof r.body.error, 'string');
  await stillAlive();
}

/** Raw HTTP for what fetch will not send (many headers, chunked bodies). */
function raw(opts: { method?: string; path: string; headers?: Record<string, string>; chunks?: Buffer[] }): Promise<{ status: number; body: string }> {
  const u = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    const chunks = opts.chunks ?? [];
    let i = 0;
    const pump = (): void => {
      while (i < chunks.length) {
        if (!req.write(chunks[i++]!)) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

before(async () => {
  h = await startApi();
  await extend(h.chain, 3);
});
after(async () => {
  await h.close();
});

test('GET /api/status reports the chain, peers, mempool and miner', async () => {
  const { status, body } = await get<StatusJson>('/api/status');
  assert.equal(status, 200);
  assert.equal(body.network, 'kadchain-test');
  assert.equal(body.genesis, h.chain.genesis.idHex);
  assert.equal(body.height, 3);
  assert.equal(body.tip, h.chain.tip.idHex);
  assert.equal(body.work, h.chain.tip.work.toString());
  assert.match(body.target, /^[0-9a-f]{64}$/);
  assert.deepEqual(body.peers, { table: 2, connected: 1 });
  assert.equal(typeof body.mempool, 'number');
  assert.deepEqual({ enabled: body.mining.enabled, hashrate: body.mining.hashrate }, { enabled: true, hashrate: 1234 });
  assert.equal(body.syncing, false);
  assert.ok(body.difficulty > 0);
});

test('GET /api/blocks: newest first without from, ascending from H, limit bounded', async () => {
  const newest = await get<BlockSummaryJson[]>('/api/blocks');
  assert.equal(newest.status, 200);
  assert.deepEqual(newest.body.map((b) => b.height), [3, 2, 1, 0]);
  assert.equal(newest.body[0]!.id, h.chain.tip.idHex);
  assert.equal(newest.body[0]!.txCount, 1);
  assert.match(newest.body[0]!.miner!, /^kc1/);
  assert.equal(newest.body[3]!.miner, null, 'genesis has no miner');

  const two = await get<BlockSummaryJson[]>('/api/blocks?limit=2');
  assert.deepEqual(two.body.map((b) => b.height), [3, 2]);
  const from = await get<BlockSummaryJson[]>('/api/blocks?from=1&limit=2');
  assert.deepEqual(from.body.map((b) => b.height), [1, 2]);
  const past = await get<BlockSummaryJson[]>('/api/blocks?from=99');
  assert.deepEqual(past.body, []);

  for (const q of ['limit=0', 'limit=101', 'limit=abc', 'from=-1', 'limit=1.5']) {
    const r = await get<{ reason: string }>('/api/blocks?' + q);
    assert.equal(r.status, 400, q);
    assert.equal(r.body.reason, 'bad-query', q);
  }
});

test('GET /api/blocks/:idOrHeight returns header, txs and confirmations', async () => {
  const byHeight = await get<BlockJson>('/api/blocks/1');
  assert.equal(byHeight.status, 200);
  assert.equal(byHeight.body.height, 1);
  assert.equal(byHeight.body.confirmations, 3);
  assert.equal(byHeight.body.main, true);
  assert.equal(byHeight.body.header.height, 1);
  assert.equal(byHeight.body.header.prevHash, h.chain.genesis.idHex);
  assert.equal(byHeight.body.txs.length, 1);
  assert.equal(byHeight.body.txs[0]!.kind, 'coinbase');
  assert.match(byHeight.body.txs[0]!.id, /^[0-9a-f]{64}$/);
  assert.match(byHeight.body.next!, /^[0-9a-f]{64}$/);

  const byId = await get<BlockJson>('/api/blocks/' + byHeight.body.id.toUpperCase());
  assert.equal(byId.status, 200);
  assert.equal(byId.body.id, byHeight.body.id);

  const missing = await get<{ reason: string }>('/api/blocks/' + 'ab'.repeat(32));
  assert.equal(missing.status, 404);
  assert.equal(missing.body.reason, 'not-found');
  const missingHeight = await get<{ reason: string }>('/api/blocks/999');
  assert.equal(missingHeight.status, 404);
  const bad = await get<{ reason: string }>('/api/blocks/xyz');
  assert.equal(bad.status, 400);
  assert.equal(bad.body.reason, 'bad-id');
});

test('POST /api/txs accepts a signed transfer; it shows as pending, then confirmed', async () => {
  const tx = transfer('alice', testAddress('bob'), 250n, 0n, h.chain.genesis.id);
  const r = await post(JSON.stringify(txToJson(tx)));
  assert.equal(r.status, 202, JSON.stringify(r.body));
  assert.deepEqual(r.body, { id: txIdHex(tx) });

  const pending = await get<TxLookupJson>('/api/txs/' + txIdHex(tx));
  assert.equal(pending.status, 200);
  assert.equal(pending.body.status, 'pending');
  assert.equal(pending.body.block, null);
  assert.equal(pending.body.tx.kind, 'transfer');
  assert.equal(pending.body.tx.sender, alice());

  const pool = await get<MempoolEntryJson[]>('/api/mempool');
  assert.deepEqual(pool.body.map((e) => e.id), [txIdHex(tx)]);
  assert.equal(pool.body[0]!.amount, '250');

  const acct = await get<AccountJson>('/api/accounts/' + alice());
  assert.deepEqual(acct.body, { address: alice(), balance: (1000n * 100_000_000n).toString(), nonce: '0', pendingNonce: '1' });

  const block = await h.mine();
  const confirmed = await get<TxLookupJson>('/api/txs/' + txIdHex(tx));
  assert.equal(confirmed.body.status, 'confirmed');
  assert.equal(confirmed.body.height, block.header.height);
  assert.equal(confirmed.body.confirmations, 1);
  assert.equal(confirmed.body.block, toHex((await h.chain.getBlock(block.header.height))!.entry.id));

  const bobAcct = await get<AccountJson>('/api/accounts/' + bob());
  assert.equal(bobAcct.body.balance, '250');
  const after = await get<AccountJson>('/api/accounts/' + alice());
  assert.equal(after.body.nonce, '1');
  assert.equal(after.body.pendingNonce, '1');

  // Replaying the confirmed transaction: its nonce is used.
  await expectRefused(JSON.stringify(txToJson(tx)), 400, 'bad-nonce');
});

test('GET /api/txs/:id and /api/accounts/:address refuse bad references', async () => {
  const none = await get<{ reason: string }>('/api/txs/' + 'cd'.repeat(32));
  assert.equal(none.status, 404);
  assert.equal(none.body.reason, 'not-found');
  const badTx = await get<{ reason: string }>('/api/txs/nothex');
  assert.equal(badTx.status, 400);
  // One character changed: the bech32m checksum fails, the address is refused, never used.
  const a = alice();
  const typo = a.slice(0, -1) + (a.endsWith('q') ? 'p' : 'q');
  const bad = await get<{ reason: string }>('/api/accounts/' + typo);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.reason, 'bad-address');
  const empty = await get<AccountJson>('/api/accounts/' + encodeAddress(testAddress('nobody')));
  assert.deepEqual({ balance: empty.body.balance, nonce: empty.body.nonce }, { balance: '0', nonce: '0' });
});

test('GET /api/peers lists the routing table, connected peers and bucket fill', async () => {
  const { status, body } = await get<PeersJson>('/api/peers');
  assert.equal(status, 200);
  assert.deepEqual(body.table, FAKE_PEERS.table);
  assert.deepEqual(body.connected, FAKE_PEERS.connected);
  assert.equal(body.buckets.length, 256);
  assert.equal(body.buckets[0], 1);
  assert.equal(body.buckets[3], 1);
});

test('GET /api/tips lists the active tip first, then side branches; limit is checked', async () => {
  const tip = await tipEntry(h.chain);
  const side = await childOf(h.chain, (await h.chain.entry(tip.parent))!, [], 99n);
  assert.equal((await h.chain.submitBlock(side)).status, 'side');
  const { status, body } = await get<ChainTipJson[]>('/api/tips');
  assert.equal(status, 200);
  assert.deepEqual(body[0], { id: tip.idHex, height: tip.height, work: tip.work.toString(), time: tip.timestamp, forkHeight: tip.height, branchLength: 0, status: 'active' });
  assert.deepEqual(body.find((t) => t.id === blockIdHex(side)), {
    id: blockIdHex(side), height: tip.height, work: tip.work.toString(), time: side.header.timestamp, forkHeight: tip.height - 1, branchLength: 1, status: 'fork',
  });
  assert.equal((await get<ChainTipJson[]>('/api/tips?limit=1')).body.length, 1);
  const bad = await get<{ reason: string }>('/api/tips?limit=0');
  assert.deepEqual([bad.status, bad.body.reason], [400, 'bad-query']);
});

test('bad transaction bodies get a 4xx with a named reason and the server lives on', async () => {
  const genesis = h.chain.genesis.id;
  const nonce = BigInt((await get<AccountJson>('/api/accounts/' + alice())).body.pendingNonce);
  const good = txToJson(transfer('alice', testAddress('bob'), 10n, nonce, genesis)) as TransferTxJson;

  await expectRefused('{"kind": "transfer", ', 400, 'malformed-json');
  await expectRefused('', 400, 'malformed-json');
  await expectRefused('[1,2,3]', 400, 'malformed');
  await expectRefused('"a string"', 400, 'malformed');
  await expectRefused(JSON.stringify({ ...good, amount: 10 }), 400, 'bad-amount-format');
  await expectRefused(JSON.stringify({ ...good, amount: '-5' }), 400, 'bad-amount-format');
  await expectRefused(JSON.stringify({ ...good, fee: '1e3' }), 400, 'bad-amount-format');
  await expectRefused(JSON.stringify({ ...good, chainId: 'abcd' }), 400, 'malformed');
  await expectRefused(JSON.stringify({ ...good, from: 42 }), 400, 'malformed');
  await expectRefused(JSON.stringify({ ...good, kind: 'coinbase' }), 400, 'bad-kind');
  await expectRefused(JSON.stringify({ ...good, extra: 1 }), 400, 'malformed');
  const { signature: _sig, ...unsigned } = good;
  await expectRefused(JSON.stringify(unsigned), 400, 'malformed');

  // A valid shape with a signature that does not verify.
  const sig = good.signature;
  const flipped = sig.slice(0, 10) + (sig[10] === '0' ? '1' : '0') + sig.slice(11);
  await expectRefused(JSON.stringify({ ...good, signature: flipped }), 400, 'bad-signature');
  // Signed fields changed after signing: also a bad signature.
  await expectRefused(JSON.stringify({ ...good, amount: '11' }), 400, 'bad-signature');

  // Recipient with a broken checksum.
  const typo = good.to.slice(0, -1) + (good.to.endsWith('q') ? 'p' : 'q');
  await expectRefused(JSON.stringify({ ...good, to: typo }), 400, 'bad-address');

  // Signed for another chain.
  const other = txToJson(transfer('alice', testAddress('bob'), 10n, nonce, new Uint8Array(32).fill(7)));
  await expectRefused(JSON.stringify(other), 400, 'bad-chain-id');

  // More than the balance.
  const rich = txToJson(transfer('alice', testAddress('bob'), 10_000n * 100_000_000n, nonce, genesis));
  await expectRefused(JSON.stringify(rich), 400, 'insufficient-funds');

  // An account that has nothing.
  const broke = txToJson(transfer('nobody', testAddress('bob'), 1n, 0n, genesis));
  await expectRefused(JSON.stringify(broke), 400, 'insufficient-funds');

  // Finally the good one is still accepted, and submitting it again is refused.
  assert.equal((await post(JSON.stringify(good))).status, 202);
  await expectRefused(JSON.stringify(good), 400, 'already-known');
  await h.mine();
});

test('a 5 MiB body is refused with 413 body-too-large (declared or streamed)', async () => {
  const big = new Blob([Buffer.alloc(5 * 1024 * 1024, 0x20)]);
  await expectRefused(big, 413, 'body-too-large');
  const chunks = Array.from({ length: 5 }, () => Buffer.alloc(1024 * 1024, 0x20));
  const streamed = await raw({ method: 'POST', path: '/api/txs', headers: { 'content-type': 'application/json' }, chunks });
  assert.equal(streamed.status, 413);
  assert.equal(JSON.parse(streamed.body).reason, 'body-too-large');
  await stillAlive();
});

test('routing errors: unknown route, wrong method, too many headers, events without upgrade', async () => {
  const unknown = await get<{ reason: string }>('/api/nothing');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.reason, 'not-found');
  const method = await fetch(h.url + '/api/status', { method: 'DELETE' });
  assert.equal(method.status, 405);
  assert.equal(((await method.json()) as { reason: string }).reason, 'method-not-allowed');
  const getTxs = await get<{ reason: string }>('/api/txs');
  assert.equal(getTxs.status, 405);

  const headers: Record<string, string> = {};
  for (let i = 0; i < 70; i++) headers[`x-h${i}`] = 'v';
  const many = await raw({ path: '/api/status', headers });
  assert.equal(many.status, 431);
  assert.equal(JSON.parse(many.body).reason, 'too-many-headers');
  const fine: Record<string, string> = {};
  for (let i = 0; i < 50; i++) fine[`x-h${i}`] = 'v';
  assert.equal((await raw({ path: '/api/status', headers: fine })).status, 200);

  const events = await get<{ reason: string }>('/api/events');
  assert.equal(events.status, 426);
  assert.equal(events.body.reason, 'upgrade-required');
  await stillAlive();
});

test('GET / serves the explorer; its modules load and find every element they use', async () => {
  const page = await fetch(h.url + '/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type')!, /text\/html/);
  assert.match(page.headers.get('content-security-policy')!, /default-src 'self'/);
  const html = await page.text();
  for (const id of ['tip-height', 'blocks', 'search', 'peers', 'mempool', 'forks', 'chart', 'banner']) assert.match(html, new RegExp(`id="${id}"`), id);
  assert.doesNotMatch(html, /https?:\/\/(?!www\.w3\.org)/, 'no external resources');

  // The script is the typed modules: every module main.js imports (transitively) is served as
  // JavaScript, and every element id they look up is on the page.
  assert.match(html, /<script type="module" src="\/explorer\/main\.js"><\/script>/);
  assert.equal((await fetch(h.url + '/explorer.js')).status, 404, 'the old string-embedded script is gone');
  const used = new Set<string>();
  const loaded = new Set<string>();
  const queue = ['/explorer/main.js'];
  while (queue.length && loaded.size < 100) {
    const path = queue.shift()!;
    if (loaded.has(path)) continue;
    loaded.add(path);
    const r = await fetch(h.url + path);
    assert.equal(r.status, 200, path);
    assert.match(r.headers.get('content-type')!, /text\/javascript/, path);
    const js = await r.text();
    for (const m of js.matchAll(/from '(\.{1,2}\/[a-z0-9/.-]+\.js)'/g)) queue.push(new URL(m[1]!, h.url + path).pathname);
    for (const m of js.matchAll(/byId\('([a-z0-9-]+)'\)/g)) used.add(m[1]!);
    for (const m of js.matchAll(/: '([a-z]+-view|view-home)'/g)) used.add(m[1]!);
  }
  assert.ok(loaded.size >= 15, `modules loaded: ${[...loaded].join(', ')}`);
  for (const p of loaded) assert.ok(p.startsWith('/explorer/'), `${p}: the API's types are imported type-only, no server module reaches the page`);
  for (const id of used) assert.match(html, new RegExp(`id="${id}"`), `the explorer uses #${id}, missing from the page`);
  assert.ok(used.size > 20, `ids used: ${used.size}`);

  const css = await fetch(h.url + '/explorer.css');
  assert.equal(css.status, 200);
  assert.match(css.headers.get('content-type')!, /text\/css/);
  assert.equal((await fetch(h.url + '/nope.html')).status, 404);
});

test('start and stop are idempotent; stop closes keep-alive connections', async () => {
  const x = await startApi();
  try {
    await x.api.start();
    const url = x.url;
    // A keep-alive connection open across stop must not keep the server alive.
    const res = await fetch(url + '/api/status', { headers: { connection: 'keep-alive' } });
    assert.equal(res.status, 200);
    await Promise.all([x.api.stop(), x.api.stop()]);
    await x.api.stop();
    await assert.rejects(fetch(url + '/api/status'));
    await x.api.start();
    assert.equal((await fetch(x.api.url + '/api/status')).status, 200);
  } finally {
    await x.close();
  }
});
