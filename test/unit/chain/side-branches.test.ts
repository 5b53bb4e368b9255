// Side-branch storage (issue 15, item 6) on a real LevelDB: a low-work branch from genesis stores
// nothing, a fork deeper than the limit is refused, a branch whose headers proved more work is
// stored however deep, and stale side bodies are pruned while the index keeps their header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { workForTarget, type Chain } from '../../../src/chain/index.js';
import { blockId, blockIdHex, type Block } from '../../../src/core/index.js';
import { BlockStatus } from '../../../src/store/index.js';
import { testGenesis } from '../../helpers/fixtures.js';
import { openTestChain, childOf, extend, checkInvariants, lowWorkBranch } from '../../helpers/chain-helpers.js';


/** Index records (one per stored block or kept header) and block bodies in the store. */
async function storeCounts(chain: Chain): Promise<{ index: number; bodies: number }> {
  let index = 0;
  for await (const _ of chain.store.indexRecords()) index++;
  let bodies = 0;
  for await (const _ of chain.store.sub('blocks').iterator()) bodies++;
  return { index, bodies };
}

test('low-work side branch from genesis: no body or index record is stored and the main chain is untouched', async (t) => {
  const g = testGenesis({ retargetInterval: 10 });
  const { chain } = await openTestChain(g, undefined, {}, t);
  await extend(chain, 40);
  const tip = chain.tip.idHex;
  const before = await storeCounts(chain);
  const branch = lowWorkBranch(g.params, g.id, 120);
  assert.equal(BigInt('0x' + Buffer.from(branch.at(-1)!.header.target).toString('hex')), g.params.powLimit, 'the branch reached powLimit');

  const statuses = new Map<string, number>();
  let firstReason: string | undefined;
  for (const b of branch) {
    const r = await chain.submitBlock(b, { source: 'attacker' });
    statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    firstReason ??= r.reason;
  }
  assert.equal(firstReason, 'low-work-branch');
  assert.equal(statuses.get('side'), undefined, `nothing stored as a side block: ${JSON.stringify([...statuses])}`);
  // Old code: all 120 bodies stored (the branch's blocks are valid, just cheap).
  assert.deepEqual(await storeCounts(chain), before, 'store key count unchanged');
  assert.equal(chain.tip.idHex, tip);
  assert.ok(chain.orphanCount <= 100, 'children wait in the bounded orphan pool, in memory only');
  await checkInvariants(chain, g);
});

test('fork-depth limit: a side block forking deeper than maxForkDepth below the tip is refused, one at the limit is stored', async (t) => {
  const { chain } = await openTestChain(testGenesis(), undefined, { sideBranches: { workDistanceBlocks: 1_000, maxForkDepth: 5 } }, t);
  await extend(chain, 10);
  const at = async (h: number) => (await chain.entry((await chain.getBlock(h))!.entry.id))!;
  const tooDeep = await chain.submitBlock(await childOf(chain, await at(4), [], 7n));
  assert.equal(tooDeep.status, 'low-work');
  assert.equal(tooDeep.reason, 'fork-too-deep');
  assert.equal(await chain.getBlockBytes(Buffer.from(tooDeep.id, 'hex')), undefined);
  const atLimit = await chain.submitBlock(await childOf(chain, await at(5), [], 7n));
  assert.equal(atLimit.status, 'side', atLimit.reason);
  // A child of a stored side block: its fork point is the same, so it is stored too.
  const child = await chain.submitBlock(await childOf(chain, (await chain.entry(Buffer.from(atLimit.id, 'hex')))!, [], 7n));
  assert.equal(child.status, 'side', child.reason);
});

test('a branch whose headers proved more work is stored however far behind it starts, and wins', async (t) => {
  const g = testGenesis();
  const { chain } = await openTestChain(g, undefined, { sideBranches: { workDistanceBlocks: 2, maxForkDepth: 5 } }, t);
  await extend(chain, 10);
  const w = workForTarget(g.params.initialTarget);
  let parent = { id: g.id, height: 0, timestamp: g.params.timestamp };
  const branch: Block[] = [];
  for (let i = 0; i < 12; i++) {
    const b = await childOf(chain, parent, [], 9n);
    branch.push(b);
    parent = { id: blockId(b), height: b.header.height, timestamp: b.header.timestamp };
  }
  assert.equal((await chain.submitBlock(branch[0]!)).status, 'low-work', 'unproven: refused');
  const proven = w * 13n; // genesis + 12 blocks, as sync's checked headers would show
  for (const [i, b] of branch.entries()) {
    const r = await chain.submitBlock(b, { provenWork: proven });
    assert.equal(r.status, i < 10 ? 'side' : 'connected', `block ${i + 1}: ${r.status} ${r.reason ?? ''}`);
  }
  assert.equal(chain.tip.idHex, blockIdHex(branch.at(-1)!));
  await checkInvariants(chain, g);
});

test('stale side-branch bodies are pruned after pruneDepth; the index keeps the header and the block reads as unknown', async (t) => {
  const g = testGenesis();
  const { chain } = await openTestChain(g, undefined, { sideBranches: { pruneDepth: 3 } }, t);
  await extend(chain, 5);
  const parent = (await chain.entry((await chain.getBlock(4))!.entry.id))!;
  const sideBlock = await childOf(chain, parent, [], 5n);
  const side = await chain.submitBlock(sideBlock);
  assert.equal(side.status, 'side');
  const id = blockId(sideBlock);
  assert.ok(await chain.getBlockBytes(id), 'stored while fresh');

  await extend(chain, 2); // tip 7: the side block at 5 is 2 deep, kept
  assert.ok(await chain.getBlockBytes(id), 'kept within pruneDepth');
  await extend(chain, 2); // tip 9: 4 deep, pruned
  assert.equal(await chain.getBlockBytes(id), undefined, 'body pruned');
  const rec = await chain.store.getIndex(id);
  assert.equal(rec?.status, BlockStatus.Pruned, 'the index keeps the header fields');
  assert.equal(rec?.height, 5);
  assert.equal(await chain.entry(id), undefined, 'a pruned block reads as unknown');
  assert.ok(!(await chain.tips()).some((x) => x.id === side.id), 'no longer listed as a tip');
  await checkInvariants(chain, g);
  // Sent again (within the limits), it is simply stored again.
  assert.equal((await chain.submitBlock(sideBlock)).status, 'side');
  assert.ok(await chain.getBlockBytes(id));
});

test('blocks a reorg disconnects become side blocks that are pruned like any other', async (t) => {
  const g = testGenesis();
  const { chain } = await openTestChain(g, undefined, { sideBranches: { pruneDepth: 3 } }, t);
  await extend(chain, 3);
  const fork = (await chain.entry((await chain.getBlock(2))!.entry.id))!;
  const loser = (await chain.getBlock(3))!.entry.id;
  const a = await childOf(chain, fork, [], 3n);
  assert.equal((await chain.submitBlock(a)).status, 'side');
  const b = await childOf(chain, (await chain.entry(blockId(a)))!, [], 3n);
  assert.equal((await chain.submitBlock(b)).status, 'connected', 'reorg onto the branch');
  assert.ok(await chain.getBlockBytes(loser), 'the disconnected block is now a side block');
  await extend(chain, 4);
  assert.equal(await chain.getBlockBytes(loser), undefined, 'pruned once deep enough');
  assert.ok(await chain.getBlockBytes(blockId(a)), 'the main chain keeps every body');
  await checkInvariants(chain, g);
});
