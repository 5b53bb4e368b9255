// The explorer's pure modules in Node (the DOM-driving views run in Chromium: test/browser/):
// hash routes, the search box's reading of a query, the fork tree's lanes, and coin amounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySearch, parseRoute, routeTitle, type Route } from '../../../src/explorer/route.js';
import { layoutForks, MAX_LANES, type SeenBlock } from '../../../src/explorer/fork-layout.js';
import { coins, shortAddr, bytes, difficulty } from '../../../src/explorer/format.js';

const home: Route = { name: 'home', arg: '' };

test('explorer routes: every page by hash, arguments decoded, unknown or argument-less detail pages are "not found"', () => {
  assert.deepEqual(parseRoute('', home), home);
  assert.deepEqual(parseRoute('#/', home), home);
  assert.deepEqual(parseRoute('#/block/12', home), { name: 'block', arg: '12' });
  assert.deepEqual(parseRoute('#/tx/' + 'ab'.repeat(32), home), { name: 'tx', arg: 'ab'.repeat(32) });
  assert.deepEqual(parseRoute('#/account/kc1q%70', home), { name: 'account', arg: 'kc1qp' });
  for (const r of ['mempool', 'peers', 'forks', 'dht', 'lookups', 'propagation'] as const) assert.deepEqual(parseRoute(`#/${r}`, home), { name: r, arg: '' });
  assert.equal(parseRoute('#/nothing', home).name, 'notfound');
  assert.equal(parseRoute('#/block', home).name, 'notfound');
  assert.equal(parseRoute('#/block/%E0%A4%A', home).name, 'notfound', 'a malformed escape');
  assert.equal(parseRoute('#/toString', home).name, 'notfound', 'no prototype names');
  // The skip link is an in-page anchor, not a route: the open view stays.
  const block: Route = { name: 'block', arg: '3' };
  assert.equal(parseRoute('#main-content', block), block);
  assert.equal(routeTitle({ name: 'tx', arg: 'ab'.repeat(32) }, (s) => s.slice(0, 4)), 'Tx abab · kadchain explorer');
  assert.equal(routeTitle(home, (s) => s), 'Overview · kadchain explorer');
});

test('explorer search: height, address, 64-hex id (block first, then tx), and a hint for anything else', () => {
  assert.equal(classifySearch('   '), null);
  assert.deepEqual(classifySearch(' 2 '), { go: '#/block/2' });
  assert.deepEqual(classifySearch('KC1QXYZ'), { go: '#/account/kc1qxyz' });
  assert.deepEqual(classifySearch('AB'.repeat(32)), { resolveId: 'ab'.repeat(32) });
  const hint = classifySearch('hello');
  assert.ok(hint && 'error' in hint && /block height/.test(hint.error));
  assert.ok(classifySearch('ab'.repeat(31)) && 'error' in classifySearch('ab'.repeat(31))!, '62 hex digits is no id');
});

function chain(from: number, to: number, prefix: string, parent: string, main: boolean): SeenBlock[] {
  const out: SeenBlock[] = [];
  for (let h = from; h <= to; h++) out.push({ id: `${prefix}${h}`, height: h, prevHash: h === from ? parent : `${prefix}${h - 1}`, timestamp: h, main });
  return out;
}

test('explorer fork tree: main chain on lane 0, a branch on its own lane from its fork point, sibling branches apart', () => {
  const main = chain(0, 40, 'm', '', true);
  const side = chain(30, 32, 's', 'm29', false); // forks off 29, three blocks long
  const sibling = chain(31, 31, 't', 's30', false); // a second child of s30
  const f = layoutForks([...main, ...side, ...sibling], 40);
  assert.equal(f.minHeight, 20);
  assert.equal(f.maxHeight, 40);
  assert.ok(f.blocks.every((b) => b.height >= 20));
  assert.equal(f.lane.get('m35'), 0);
  const sideLane = f.lane.get('s30')!;
  assert.ok(sideLane > 0);
  assert.equal(f.lane.get('s31'), sideLane);
  assert.equal(f.lane.get('s32'), sideLane);
  assert.notEqual(f.lane.get('t31'), sideLane, 'a second child of a side block starts its own lane');
  assert.equal(f.branches.length, 2);
  assert.deepEqual(f.branches[0]!.map((b) => b.id), ['s30', 's31', 's32']);
  assert.equal(f.lanes, 3);

  // A branch that left below the usual window stretches it down to its fork point.
  const deep = layoutForks([...main, ...chain(12, 13, 'd', 'm11', false)], 40);
  assert.equal(deep.minHeight, 11);
  // One more than 200 heights below the tip does not: the window stays near the tip.
  const long = chain(0, 300, 'm', '', true);
  const old = layoutForks([...long, ...chain(5, 5, 'o', 'm4', false)], 300);
  assert.equal(old.minHeight, 280);
  assert.equal(old.branches.length, 0);
  // Lanes are capped however many branches there are.
  const many = Array.from({ length: 30 }, (_, i) => chain(35, 35, `x${i}-`, 'm34', false)).flat();
  assert.equal(layoutForks([...main, ...many], 40).lanes, MAX_LANES);
});

test('explorer formatting: coins from base units exactly, short addresses, sizes, difficulty', () => {
  assert.equal(coins('0'), '0');
  assert.equal(coins('100000000'), '1');
  assert.equal(coins('12345'), '0.00012345');
  assert.equal(coins('18446744073709551615'), '184467440737.09551615', 'u64 max, no float rounding');
  assert.equal(coins('-150000000'), '-1.5');
  assert.equal(coins('not-a-number'), 'not-a-number');
  assert.equal(shortAddr('kc1' + 'q'.repeat(40)), 'kc1qqqqqqqq…qqqqq');
  assert.equal(bytes(512), '512 B');
  assert.equal(bytes(2048), '2.0 KiB');
  assert.equal(difficulty(Number.NaN), '∞');
  assert.equal(difficulty(2.5), '2.500');
});
