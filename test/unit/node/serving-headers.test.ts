// Serving getheaders from the store's range read (one iterator over the height index, one multi-get
// of header records; bodies only for blocks stored before header records) instead of two awaited
// reads per height: the replies are the per-height path's on a real chain, cold and from the cache;
// a reply reads no body and stops once full; a damaged header record (or, in an old dir, a damaged
// body) is never served and ends the reply, which it used to leave unanswered (the requester timed
// out and charged us).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Chain } from '../../../src/chain/index.js';
import { HEADER_BYTES } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import { Mempool } from '../../../src/mempool/index.js';
import { Serving } from '../../../src/node/index.js';
import { MAX_HEADERS_PER_MSG, type P2PNetwork } from '../../../src/p2p/index.js';
import { openTestChain, extend } from '../../helpers/chain-helpers.js';
import { waitUntil } from '../../helpers/node-helpers.js';
import { RawPeer, startNet } from '../p2p/helpers.js';

type Ctx = { after: (fn: () => unknown) => void };

/** The reply of the per-height path this replaced: fork point by locator, then the main id and the checked bytes per height. */
async function perHeightReply(chain: Chain, locator: Uint8Array[], stop?: Uint8Array): Promise<string[]> {
  let start = 0;
  for (const id of locator) {
    const e = await chain.entry(id);
    if (e && (await chain.isMain(e))) {
      start = e.height + 1;
      break;
    }
  }
  const out: string[] = [];
  const end = Math.min(chain.tip.height, start + MAX_HEADERS_PER_MSG - 1);
  for (let h = start; h <= end; h++) {
    const id = await chain.store.getMainId(h);
    const b = id && (await chain.getBlockBytes(id));
    if (!id || !b) break;
    out.push(toHex(b.subarray(0, HEADER_BYTES)));
    if (stop && toHex(id) === toHex(stop)) break;
  }
  return out;
}

/** A serving node on 127.0.0.1 and a raw peer asking it; `ask` sends one getheaders and waits for its reply. */
async function servingPair(t: Ctx, chain: Chain, cacheSize?: number): Promise<{ raw: RawPeer; net: P2PNetwork; ask: (locator: Uint8Array[], stop?: Uint8Array) => Promise<string[]> }> {
  const net = await startNet();
  const serving = new Serving(chain, new Mempool(chain), net, undefined, cacheSize);
  serving.start();
  t.after(async () => {
    serving.stop();
    await net.stop();
  });
  const raw = await RawPeer.ready(net.port);
  t.after(() => raw.close());
  const replies = (): Uint8Array[][] => raw.messages.flatMap((m) => (m.kind === 'headers' ? [m.headers] : []));
  const ask = async (locator: Uint8Array[], stop?: Uint8Array): Promise<string[]> => {
    const before = replies().length;
    raw.send({ kind: 'getheaders', locator, ...(stop ? { stop } : {}) });
    await waitUntil('headers reply', () => replies().length > before, 30_000, 5);
    return replies()[before]!.map(toHex);
  };
  return { raw, net, ask };
}

async function mainId(chain: Chain, h: number): Promise<Uint8Array> {
  return (await chain.store.getMainId(h))!;
}

test("getheaders replies from the range read equal the per-height path's: locator in the middle, at genesis, empty, unknown, past the tip, with a stop hash; cold and cached", async (t) => {
  const { chain } = await openTestChain(undefined, undefined, {}, t);
  const TIP = MAX_HEADERS_PER_MSG + 50;
  await extend(chain, TIP);
  const id = (h: number): Promise<Uint8Array> => mainId(chain, h);
  const cases: [string, Uint8Array[], Uint8Array | undefined, number][] = [
    ['locator in the middle', [await id(1000), await id(999), await id(990)], undefined, TIP - 1000],
    ['locator at genesis', [await id(0)], undefined, MAX_HEADERS_PER_MSG],
    ['empty locator', [], undefined, MAX_HEADERS_PER_MSG],
    ['unknown ids only', [new Uint8Array(32).fill(7)], undefined, MAX_HEADERS_PER_MSG],
    ['past the tip', [await id(TIP)], undefined, 0],
    ['stop hash', [await id(10)], await id(20), 10],
    ['stop hash below the start', [await id(100)], await id(50), TIP - 100],
    ['stop hash past the bound', [await id(0)], await id(TIP - 5), MAX_HEADERS_PER_MSG],
    ['stop hash at the tip', [await id(TIP - 30)], await id(TIP), 30],
  ];
  // A one-entry cache: every reply comes from the range read. Then the default cache, asked twice:
  // cold, then from memory.
  const expected = new Map<string, string[]>();
  for (const [name, locator, stop] of cases) expected.set(name, await perHeightReply(chain, locator, stop));
  const cold = await servingPair(t, chain, 1);
  const cached = await servingPair(t, chain);
  for (const [round, pair] of [['cold', cold], ['filling the cache', cached], ['from the cache', cached]] as const) {
    for (const [name, locator, stop, count] of cases) {
      const got = await pair.ask(locator, stop);
      assert.equal(got.length, count, `${round}, ${name}: header count`);
      assert.deepEqual(got, expected.get(name), `${round}, ${name}: the per-height path's reply`);
    }
  }
  assert.equal(await cold.raw.roundtrip(), true, 'the asker is not charged for asking');
});

/** The previous layout: header records of main-chain heights `from`.. dropped (what the build before them wrote). */
async function dropHeaderRecords(chain: Chain, from = 0): Promise<void> {
  const batch = chain.store.batch();
  for await (const [, id] of chain.store.mainEntries(from)) batch.del('headers', id);
  await batch.write();
}

test('a headers range reads the store in bounded batches and stops reading once the reply is full', async (t) => {
  const { chain } = await openTestChain(undefined, undefined, {}, t);
  await extend(chain, MAX_HEADERS_PER_MSG + 50);
  const reads: { name: string; keys: number }[] = [];
  const getRawMany = chain.store.getRawMany.bind(chain.store);
  chain.store.getRawMany = (name, keys) => {
    reads.push({ name, keys: keys.length });
    return getRawMany(name, keys);
  };
  // From header records: one multi-get of exactly a full reply's records, no body and no index record.
  const fromRecords = await chain.store.mainHeaders(1, MAX_HEADERS_PER_MSG);
  assert.equal(fromRecords.headers.length, MAX_HEADERS_PER_MSG);
  assert.deepEqual(reads, [{ name: 'headers', keys: MAX_HEADERS_PER_MSG }], 'headers are served without reading a body');
  // A dir from before header records reads the bodies, bounded.
  await dropHeaderRecords(chain);
  reads.length = 0;
  const size = (await chain.store.getRawBlockBytes(await mainId(chain, 5)))!.length;
  // A byte bound of three bodies: each multi-get of bodies holds at most three.
  const range = await chain.store.mainHeaders(1, MAX_HEADERS_PER_MSG, undefined, 3 * size);
  assert.equal(range.headers.length, MAX_HEADERS_PER_MSG);
  assert.equal(range.damaged, undefined);
  const bodies = reads.filter((r) => r.name === 'blocks');
  assert.ok(bodies.every((r) => r.keys >= 1 && r.keys <= 3), `bodies read at most three at a time: ${bodies.map((r) => r.keys).join(',')}`);
  assert.equal(bodies.reduce((s, r) => s + r.keys, 0), MAX_HEADERS_PER_MSG, 'no body read past the full reply');
  assert.equal(reads.filter((r) => r.name === 'index').reduce((s, r) => s + r.keys, 0), MAX_HEADERS_PER_MSG, 'no index record read past it');
  // A bound smaller than one body still reads one at a time, never none.
  reads.length = 0;
  const tiny = await chain.store.mainHeaders(1, 5, undefined, 1);
  assert.equal(tiny.headers.length, 5);
  assert.deepEqual(reads.filter((r) => r.name === 'blocks').map((r) => r.keys), [1, 1, 1, 1, 1]);
  // Each header is its block's own first bytes, at consecutive heights, from records or bodies alike.
  for (const [i, x] of range.headers.entries()) {
    assert.equal(toHex(x.bytes), toHex(fromRecords.headers[i]!.bytes));
    if (i % 400 !== 0) continue;
    assert.equal(x.height, i + 1);
    assert.equal(toHex(x.id), toHex(await mainId(chain, i + 1)));
    assert.equal(toHex(x.bytes), toHex((await chain.store.getRawBlockBytes(x.id))!.subarray(0, HEADER_BYTES)));
  }
});

/**
 * Damage at height 25 of a 40-block chain: every reply from genesis ends before it (asked twice),
 * it is reported once and remembered for the next start, what lies past it is still served to an
 * asker whose locator starts there, and the asker is not charged.
 */
async function assertDamageAt25EndsReplies(t: Ctx, chain: Chain, intact: string[], damagedHex: string, reported: string[]): Promise<void> {
  const { raw, ask } = await servingPair(t, chain);
  for (let i = 0; i < 2; i++) {
    const got = await ask([await mainId(chain, 0)]);
    assert.deepEqual(got, intact.slice(0, 24), `ask ${i + 1}: heights 1..24, the intact ones before the damage`);
    assert.ok(!got.includes(damagedHex), 'the damaged header is not served');
  }
  assert.equal(reported.length, 1, 'the damage is reported once, however often it is asked for');
  await waitUntil('the damaged height remembered for the next start', () => chain.store.damagedHeight === 25, 10_000, 5);
  assert.deepEqual(await ask([await mainId(chain, 30)]), intact.slice(30), 'what lies past it is still served');
  assert.equal(await raw.roundtrip(), true, 'the asker is not charged');
}

/** Overwrites the stored bytes of the main-chain block at `h` with one byte flipped at `at` (negative: from the end). */
async function damageBlock(chain: Chain, h: number, at: number): Promise<Uint8Array> {
  const id = await mainId(chain, h);
  const bytes = (await chain.store.getRawBlockBytes(id))!.slice();
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = bytes[i]! ^ 0xff;
  await chain.store.batch().put('blocks', id, bytes).write();
  return bytes;
}

// In a dir from before header records (the records of heights 10.. dropped), headers come from bodies.
for (const [what, at] of [['header', 40], ['body', -1]] as const) {
  test(`a damaged stored ${what} in the main chain ends the headers reply before it instead of leaving the getheaders unanswered`, async (t) => {
    const { chain } = await openTestChain(undefined, undefined, {}, t);
    await extend(chain, 40);
    const intact = await perHeightReply(chain, [await mainId(chain, 0)]);
    await dropHeaderRecords(chain, 10);
    const bad = await damageBlock(chain, 25, at);
    const reported: string[] = [];
    chain.on('store-damaged', (m) => reported.push(m));
    await assertDamageAt25EndsReplies(t, chain, intact, toHex(bad.subarray(0, HEADER_BYTES)), reported);
  });
}

test('a damaged header record ends the headers reply before it, reported once as damage and remembered for the next start', async (t) => {
  const { chain } = await openTestChain(undefined, undefined, {}, t);
  await extend(chain, 40);
  const intact = await perHeightReply(chain, [await mainId(chain, 0)]);
  const id = await mainId(chain, 25);
  const rec = Uint8Array.from((await chain.store.getRawMany('headers', [id]))[0]!);
  rec[60] = rec[60]! ^ 0xff;
  await chain.store.batch().put('headers', id, rec).write();
  const reported: string[] = [];
  chain.on('store-damaged', (m) => reported.push(m));
  await assertDamageAt25EndsReplies(t, chain, intact, toHex(rec), reported);
  assert.match(reported[0]!, /header record/);
});

test('a damaged body under an intact header record does not cut the headers reply: headers never read bodies', async (t) => {
  const { chain } = await openTestChain(undefined, undefined, {}, t);
  await extend(chain, 40);
  const intact = await perHeightReply(chain, [await mainId(chain, 0)]);
  await damageBlock(chain, 25, -1);
  const { ask } = await servingPair(t, chain);
  assert.deepEqual(await ask([await mainId(chain, 0)]), intact);
  await assert.rejects(chain.getBlockBytes(await mainId(chain, 25)), /store damaged/, 'the body itself is still refused when read');
});
