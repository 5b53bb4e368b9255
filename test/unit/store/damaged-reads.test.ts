// Damage found at run time, when peers keep asking for a block whose body is damaged on disk: the
// node logs it once per block id (a bounded LRU), answers notfound, keeps serving what is intact,
// and keeps counting every damaged read for the store health. A damaged main-chain block found by
// a read, however deep, is remembered by height: the next start checks from there and heals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreDamagedError } from '../../../src/chain/index.js';
import { blockId } from '../../../src/core/index.js';
import { toHex } from '../../../src/crypto/index.js';
import type { Logger, LogFields } from '../../../src/log/index.js';
import { Mempool } from '../../../src/mempool/index.js';
import { NodeHealth, Serving } from '../../../src/node/index.js';
import type { InvItem } from '../../../src/p2p/index.js';
import { ChainStore, DamageLog, StoreError } from '../../../src/store/index.js';
import { openTestChain, openChainAt, extend, tempDir, checkInvariants } from '../../helpers/chain-helpers.js';
import { track } from '../../helpers/cleanup.js';
import { testGenesis } from '../../helpers/fixtures.js';
import { RawPeer, startNet } from '../p2p/helpers.js';

interface Line {
  level: string;
  msg: string;
  fields: LogFields;
}

/** A Logger that keeps every line (children share the list), to count what the node logged. */
function recordingLogger(lines: Line[] = [], bound: LogFields = {}): Logger & { lines: Line[] } {
  const at = (level: string) => (msg: string, fields: LogFields = {}): void => void lines.push({ level, msg, fields: { ...bound, ...fields } });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (b) => recordingLogger(lines, { ...bound, ...b }) };
}

test('damaged-block runtime requests log repeatedly: a peer asking 6 times for a damaged block is logged once, answered notfound, and counted 6 times', async (t) => {
  const log = recordingLogger();
  const { chain } = await openTestChain(testGenesis(), undefined, { logger: log }, t);
  const mined = await extend(chain, 4);
  const [bad, good] = [blockId(mined[1]!), blockId(mined[2]!)];
  const bytes = (await chain.store.getRawBlockBytes(bad))!.slice();
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff; // the body no longer matches its header
  await chain.store.batch().put('blocks', bad, bytes).write();

  // The node's wiring (node.ts): damage the chain reports shows in the health.
  const health = new NodeHealth({ store: chain.store, dataDir: chain.store.dataDir, logger: log, pause: async () => {}, resume: async () => {} });
  chain.on('store-damaged', (m) => health.noteDamage(m));
  const net = await startNet();
  const serving = new Serving(chain, new Mempool(chain), net, log);
  serving.start();
  t.after(async () => {
    serving.stop();
    await net.stop();
  });
  const raw = await RawPeer.ready(net.port);
  t.after(() => raw.close());

  const asks = 6;
  for (let i = 0; i < asks; i++) {
    // getdatas of one peer are served in order: the marker's notfound says the ask before it is done.
    const marker: InvItem = { type: 'tx', id: new Uint8Array(32).fill(0xe0 + i) };
    raw.send({ kind: 'getdata', items: [{ type: 'block', id: bad }, { type: 'block', id: good }] });
    raw.send({ kind: 'getdata', items: [marker] });
    await raw.next('notfound', (m) => m.items.some((it) => toHex(it.id) === toHex(marker.id)));
  }
  const notfound = raw.messages.flatMap((m) => (m.kind === 'notfound' ? m.items.map((it) => toHex(it.id)) : []));
  assert.equal(notfound.filter((id) => id === toHex(bad)).length, asks, 'the damaged block is answered notfound every time');
  assert.equal(raw.messages.filter((m) => m.kind === 'block').length, asks, 'the intact block in the same request is still served');
  assert.equal(await raw.roundtrip(), true, 'the peer is still connected');

  const loud = log.lines.filter((l) => l.level === 'error' || l.level === 'warn');
  assert.equal(loud.length, 1, `logged once, not on every request: ${JSON.stringify(loud.map((l) => l.msg))}`);
  assert.match(String(loud[0]!.fields.damage), new RegExp(toHex(bad)));
  assert.deepEqual(chain.store.damage.counts(), { reads: asks, records: 1 }, 'every damaged read is counted');
  const problems = health.problems();
  assert.equal(health.ok, false);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]!.reason, 'store-damaged');
  assert.match(problems[0]!.message, new RegExp(`${toHex(bad)}.*--reindex.*\\(${asks} damaged reads of 1 record since start\\)$`));
});

test('the damage log is a bounded LRU: once per key, a key seen again stays, the oldest falls out', () => {
  const d = new DamageLog(3);
  assert.equal(d.note('a'), true);
  assert.equal(d.note('a'), false);
  assert.equal(d.note('b'), true);
  assert.equal(d.note('c'), true);
  assert.equal(d.note('a'), false, 'seen again: moved to the newest end');
  assert.equal(d.note('d'), true, 'a fourth key evicts the least recently seen (b)');
  assert.equal(d.size, 3);
  assert.equal(d.note('a'), false, 'a stayed');
  assert.equal(d.note('b'), true, 'b fell out: it is logged again, once');
  assert.deepEqual(d.counts(), { reads: 8, records: 5 });
});

test('a damaged block a read finds deep below the check depth and the verified mark is healed by a restart', async (t) => {
  const g = testGenesis();
  const dir = tempDir('kadchain-damaged-', t);
  const first = await openChainAt(dir.path, g);
  await extend(first, 60);
  await first.close();
  const chain = await openChainAt(dir.path, g, { checkDepth: 10 });
  assert.equal(chain.store.verifiedMark?.height, 60, 'a start would walk only the top of the chain');
  const id = (await chain.store.getMainId(7))!;
  const bytes = (await chain.store.getRawBlockBytes(id))!.slice();
  bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
  await chain.store.batch().put('blocks', id, bytes).write();
  await assert.rejects(chain.getBlock(7), (e: unknown) => e instanceof StoreError && e.reason === 'store-damaged');
  await chain.close();

  const raw = await ChainStore.open({ dataDir: dir.path, genesisId: g.id });
  assert.equal(raw.damagedHeight, 7, 'the damaged height is on disk');
  await raw.close();
  await assert.rejects(openChainAt(dir.path, g, { checkDepth: 10 }), (e: unknown) => e instanceof StoreDamagedError && e.damage.height === 7);
  const healed = await openChainAt(dir.path, g, { checkDepth: 10, onDamage: 'heal' });
  track(t, healed);
  assert.equal(healed.tip.height, 6, 'rolled back below the damage; peers send the rest');
  assert.equal(healed.store.damagedHeight, undefined, 'settled by the whole walk after the heal');
  assert.equal(healed.store.verifiedMark?.height, 6);
  await checkInvariants(healed, g);
});
