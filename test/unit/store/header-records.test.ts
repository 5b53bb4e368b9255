// Header records (layout.ts `headers`): every stored block has its 116-byte header beside it,
// written in the block's own atomic batch, so getheaders never reads a body. The codec is the
// canonical header's; a crash or a torn log never leaves one without the other; a data dir written
// before them (the previous layout) opens, passes its checks and serves its headers from the bodies;
// a damaged record is found by the walk at open and healed; a rebuild writes them for old dirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { fcOptions } from '../../helpers/seed.js';
import { HEADER_BYTES, HEADER_VERSION, blockId, encodeHeader, type BlockHeader } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import { silentLogger } from '../../../src/log/index.js';
import { StoreDamagedError, rebuildChainState } from '../../../src/chain/index.js';
import { ChainStore, decodeHeaderRecord, encodeHeaderRecord, verifyStore } from '../../../src/store/index.js';
import { tempDir, openChainAt, extend, checkInvariants, childOf } from '../../helpers/chain-helpers.js';
import { testGenesis, prng } from '../../helpers/fixtures.js';

const g = testGenesis();
type T = Parameters<typeof tempDir>[1];

async function buildStore(dir: string, blocks: number): Promise<void> {
  const chain = await openChainAt(dir, g);
  try {
    await extend(chain, blocks);
  } finally {
    await chain.close();
  }
}

async function withRawStore<R>(dir: string, fn: (s: ChainStore) => Promise<R>): Promise<R> {
  const s = await ChainStore.open({ dataDir: dir, genesisId: g.id });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

async function keysOf(s: ChainStore, name: 'blocks' | 'headers'): Promise<string[]> {
  const out: string[] = [];
  for await (const [k] of s.sub(name).iterator()) out.push(toHex(k));
  return out.sort();
}

/** The previous layout: the same dir without any header record (what the build before them wrote). */
async function dropHeaderRecords(dir: string, keep: (height: number) => boolean = () => false): Promise<number> {
  return withRawStore(dir, async (s) => {
    const batch = s.batch();
    let n = 0;
    for await (const [h, id] of s.mainEntries()) {
      if (keep(h)) continue;
      batch.del('headers', id);
      n++;
    }
    await batch.write();
    return n;
  });
}

test('header record codec: the canonical header (one schema with the wire), round-trips for any header', () => {
  const header = fc.record({
    version: fc.constant(HEADER_VERSION),
    height: fc.nat({ max: 0xffffffff }),
    prevHash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    merkleRoot: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    timestamp: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    target: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    nonce: fc.nat({ max: 0xffffffff }),
  });
  fc.assert(fc.property(header, (h: BlockHeader) => {
    const b = encodeHeaderRecord(h);
    assert.equal(b.length, HEADER_BYTES);
    assert.deepEqual(b, encodeHeader(h));
    const back = decodeHeaderRecord(b);
    assert.deepEqual({ ...back, prevHash: [...back.prevHash], merkleRoot: [...back.merkleRoot], target: [...back.target] }, { ...h, prevHash: [...h.prevHash], merkleRoot: [...h.merkleRoot], target: [...h.target] });
  }), fcOptions(1410, 300));
  assert.throws(() => decodeHeaderRecord(new Uint8Array(HEADER_BYTES - 1)), /116/);
});

test('every stored block has its header record, written in the same atomic batch as the body', async (t) => {
  const dir = tempDir('kadchain-headers-', t);
  const chain = await openChainAt(dir.path, g);
  t.after(() => chain.close());
  const blocks = chain.store.sub('blocks');
  const headers = chain.store.sub('headers');
  const db = chain.store.db as unknown as { batch: (ops: { type: string; key: Uint8Array; value?: Uint8Array; sublevel?: unknown }[]) => Promise<void> };
  const orig = db.batch.bind(db);
  let withBodies = 0;
  db.batch = async (ops) => {
    const bodies = new Map(ops.filter((o) => o.sublevel === blocks && o.type === 'put').map((o) => [toHex(o.key), o.value!]));
    const recs = new Map(ops.filter((o) => o.sublevel === headers && o.type === 'put').map((o) => [toHex(o.key), o.value!]));
    assert.deepEqual([...recs.keys()].sort(), [...bodies.keys()].sort(), 'a batch that writes bodies writes their header records, and no others');
    for (const [k, body] of bodies) assert.equal(toHex(recs.get(k)!), toHex(body.subarray(0, HEADER_BYTES)));
    if (bodies.size) withBodies++;
    return orig(ops);
  };
  await extend(chain, 12);
  // A side block (stored, not connected) and the block that makes its branch the main one.
  const fork = (await chain.entry((await chain.store.getMainId(chain.tip.height - 1))!))!;
  const s1 = await childOf(chain, fork, [], 9n);
  assert.equal((await chain.submitBlock(s1)).status, 'side');
  const s2 = await childOf(chain, { id: blockId(s1), height: s1.header.height, timestamp: s1.header.timestamp }, [], 9n);
  assert.equal((await chain.submitBlock(s2)).status, 'connected');
  assert.equal(withBodies, 14, 'every block came in a batch with its header record');
  assert.deepEqual(await keysOf(chain.store, 'headers'), await keysOf(chain.store, 'blocks'), 'one header record per stored body (genesis included)');
});

test('a crash at the block batch leaves neither the body nor its header record; the next open is whole', async (t) => {
  const dir = tempDir('kadchain-headers-', t);
  await buildStore(dir.path, 5);
  const chain = await openChainAt(dir.path, g);
  const b = await childOf(chain, chain.tip, []);
  const db = chain.store.db as unknown as { batch: (ops: unknown[]) => Promise<void> };
  db.batch = async () => {
    throw new Error('injected crash before the block batch');
  };
  await assert.rejects(chain.submitBlock(b));
  await chain.close().catch(() => {});
  const id = blockId(b);
  await withRawStore(dir.path, async (s) => {
    assert.equal(await s.getRawBlockBytes(id), undefined);
    assert.deepEqual(await s.getRawMany('headers', [id]), [undefined]);
    assert.deepEqual(await keysOf(s, 'headers'), await keysOf(s, 'blocks'));
  });
});

test('a write-ahead log cut short at any point (a torn write) never leaves a body without its header record or a record without its body', async (t) => {
  const rand = prng(1411);
  for (let i = 0; i < 4; i++) {
    const dir = tempDir('kadchain-headers-', t);
    await buildStore(dir.path, 40);
    const logs = readdirSync(dir.path).filter((f) => f.endsWith('.log')).map((f) => join(dir.path, f)).filter((f) => statSync(f).size > 0);
    assert.ok(logs.length > 0, 'the blocks are in the write-ahead log');
    for (const f of logs) truncateSync(f, Math.floor(statSync(f).size * (0.2 + 0.75 * rand())));
    let pair: [string[], string[]] | undefined;
    try {
      pair = await withRawStore(dir.path, async (s) => [await keysOf(s, 'blocks'), await keysOf(s, 'headers')] as [string[], string[]]);
    } catch {
      continue; // refused whole is also safe
    }
    assert.ok(pair[0].length > 0 && pair[0].length < 41, `the log was cut (${pair[0].length} bodies left)`);
    assert.deepEqual(pair[1], pair[0], `cut ${i}: header records and bodies match`);
  }
});

test('a data dir without header records (the previous layout) opens whole and serves its headers from the bodies; a rebuild writes the records', async (t) => {
  const dir = tempDir('kadchain-headers-', t);
  await buildStore(dir.path, 70);
  // Mixed: heights 20..39 keep theirs (blocks an upgraded build wrote on top of an old dir).
  assert.equal(await dropHeaderRecords(dir.path, (h) => h >= 20 && h < 40), 51);
  const chain = await openChainAt(dir.path, g, { checkDepth: Infinity });
  try {
    await checkInvariants(chain, g);
    const range = await chain.store.mainHeaders(1, 100);
    assert.equal(range.damaged, undefined);
    assert.deepEqual(range.headers.map((x) => x.height), Array.from({ length: 70 }, (_, i) => i + 1));
    for (const x of range.headers) assert.equal(toHex(x.bytes), toHex((await chain.store.getRawBlockBytes(x.id))!.subarray(0, HEADER_BYTES)), `height ${x.height}`);
  } finally {
    await chain.close();
  }
  // A reindex backfills them: one record per main-chain body again.
  await withRawStore(dir.path, async (s) => {
    await rebuildChainState(s, g, silentLogger);
    assert.deepEqual(await keysOf(s, 'headers'), await keysOf(s, 'blocks'));
    assert.equal((await verifyStore(s, Infinity)).damage, undefined);
  });
});

test('a damaged header record is found by the walk at open (naming its height), and a heal rolls back below it', async (t) => {
  const dir = tempDir('kadchain-headers-', t);
  await buildStore(dir.path, 30);
  const id = await withRawStore(dir.path, async (s) => {
    const id = (await s.getMainId(22))!;
    const rec = Uint8Array.from((await s.getRawMany('headers', [id]))[0]!);
    rec[50] = rec[50]! ^ 0xff;
    await s.batch().put('headers', id, rec).write();
    return id;
  });
  await assert.rejects(openChainAt(dir.path, g), (e: unknown) => e instanceof StoreDamagedError && e.damage.height === 22 && /header record/.test(e.damage.what));
  const chain = await openChainAt(dir.path, g, { onDamage: 'heal' });
  try {
    assert.equal(chain.tip.height, 21, 'rolled back to the last intact block');
    await checkInvariants(chain, g);
    assert.deepEqual(await chain.store.getRawMany('headers', [id]), [undefined], 'the damaged record is forgotten with its block');
  } finally {
    await chain.close();
  }
});
