/// <reference lib="dom" />
// The explorer in real Chromium (playwright-core driving Debian's /usr/bin/chromium) against real
// nodes, page by page: the overview (tip, recent blocks, chart), a live block, the block, tx and
// account pages (a tx going from pending to confirmed without a reload), the mempool, the peers
// page with its bucket bars, the fork view through a real reorg (and in a tab opened after it),
// search, "not found", and the "node unreachable, retrying" banner when the node goes away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { blockIdHex, encodeAddress, txIdHex, txToJson, type TransferTx } from '../../src/core/index.js';
import { transfer, testAddress } from '../helpers/fixtures.js';
import { childOf, tipEntry } from '../helpers/chain-helpers.js';
import { testNet, waitUntil } from '../helpers/node-helpers.js';

/** Waits for a condition in the page; a timeout names the step, so a failure says what the page did not show. */
async function until<A extends string | number | null>(page: Page, name: string, fn: (arg: A) => boolean, arg: A, timeout = 20_000): Promise<void> {
  try {
    await page.waitForFunction(fn as (arg: unknown) => boolean, arg, { timeout });
  } catch (e) {
    throw new Error(`explorer step "${name}" failed: ${(e as Error).message.split('\n')[0]}`);
  }
}
// Shorthands the waits use inside the page; installed there (as globals) by pageHelpers.
const text = (id: string): string => document.getElementById(id)?.textContent ?? '';
const count = (sel: string): number => document.querySelectorAll(sel).length;
async function pageHelpers(page: Page): Promise<void> {
  await page.addInitScript(() => {
    Object.assign(window, {
      text: (id: string): string => document.getElementById(id)?.textContent ?? '',
      count: (sel: string): number => document.querySelectorAll(sel).length,
    });
  });
}

async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate((h) => void (location.hash = h), hash);
}

const outDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test-output');

test('explorer: every page in Chromium — overview, live blocks, block/tx/account, mempool, peers, forks through a reorg, search, not found, unreachable banner', { timeout: 180_000 }, async () => {
  const net = testNet();
  let browser: Browser | undefined;
  try {
    const a = await net.start();
    const b = await net.start({ bootstrap: [a] });
    await waitUntil('peers connected', () => a.net.peers().length >= 1 && b.net.peers().length >= 1, 30_000);
    const tx = transfer('alice', testAddress('bob'), 12_345n, 0n, net.genesis.id, 10n);
    await a.chain.submitBlock(await childOf(a.chain, await tipEntry(a.chain)));
    await a.chain.submitBlock(await childOf(a.chain, await tipEntry(a.chain), [tx]));
    await waitUntil('b follows', () => b.chain.tip.height === 2, 30_000);
    const post = async (t: TransferTx): Promise<void> => {
      const r = await fetch(a.apiUrl + '/api/txs', { method: 'POST', body: JSON.stringify(txToJson(t)), headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 202, await r.text());
    };

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    });
    const page = await browser.newPage();
    await pageHelpers(page);
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    // Overview: status figures, recent blocks, the chart, the socket live.
    await page.goto(a.apiUrl + '/');
    await until(page, 'tip 2', () => text('tip-height').trim() === '2', null);
    await until(page, 'recent blocks', () => count('#blocks [data-testid="block-row"]') === 3, null);
    assert.equal(await page.textContent('#network'), net.genesis.params.network);
    assert.equal(await page.textContent('#hashrate'), 'not mining');
    assert.match((await page.textContent('#peer-count')) ?? '', /1 connected/);
    assert.match((await page.textContent('#mempool-count')) ?? '', /^0 txs$/);
    assert.equal(await page.isHidden('#banner'), true);
    await until(page, 'socket live', () => text('conn-state') === 'live', null);

    // A newly mined block appears without a reload, in the figures, the table and the chart.
    await a.chain.submitBlock(await childOf(a.chain, await tipEntry(a.chain)));
    await until(page, 'live tip 3', () => text('tip-height').trim() === '3' && count('#blocks [data-height="3"]') === 1, null);
    await until(page, 'block-time chart with its target line', () => count('#chart polyline.series-time') === 1 && count('#chart line.series-target') === 1, null);

    // Block page by height; its tx table links the tx.
    const b2 = (await a.chain.getBlock(2))!;
    await go(page, '#/block/2');
    await until(page, 'block page', (id) => text('block-id') === id && count('#block-detail [data-testid="tx-row"]') === 2, b2.entry.idHex);
    assert.equal(await page.isHidden('#view-home'), true);
    assert.match((await page.textContent('#block-detail')) ?? '', /main chain/);

    // A pending tx on its page turns confirmed when a block takes it, without a reload.
    const tx2 = transfer('alice', testAddress('bob'), 42n, 1n, net.genesis.id);
    await post(tx2);
    await go(page, '#/tx/' + txIdHex(tx2));
    await until(page, 'tx pending', () => text('tx-status') === 'pending', null);
    await a.chain.submitBlock(await childOf(a.chain, await tipEntry(a.chain), [tx2]));
    await until(page, 'tx confirmed live', () => text('tx-status') === 'confirmed', null);

    // Account page with a pending tx; the mempool page lists it and empties when it is mined.
    const tx3 = transfer('alice', testAddress('bob'), 43n, 2n, net.genesis.id);
    await post(tx3);
    const alice = encodeAddress(testAddress('alice'));
    await go(page, '#/account/' + alice);
    await until(page, 'account page', (addr) => text('account-address') === addr && count('#account-detail [data-testid="tx-row"]') === 1, alice);
    assert.match((await page.textContent('#account-balance')) ?? '', /coins$/);
    await page.click('#nav-mempool');
    await until(page, 'mempool row', (id) => document.querySelector(`#mempool-rows [data-id="${id}"]`) !== null, txIdHex(tx3));
    assert.match((await page.textContent('#mempool-summary')) ?? '', /^1 transaction,/);
    await a.chain.submitBlock(await childOf(a.chain, await tipEntry(a.chain), [tx3]));
    await until(page, 'mempool emptied live', () => text('mempool-rows').includes('empty'), null);

    // Peers: the other node connected, the bucket bars and the routing table.
    await page.click('#nav-peers');
    await until(page, 'peers view', (peer) => document.querySelector(`#peers-connected [title="${peer}"]`) !== null, b.nodeId);
    assert.ok((await page.locator('#buckets [data-testid="bucket"]').count()) >= 24);
    await until(page, 'a table entry', () => count('#peers-table [data-testid="table-row"]') >= 1, null);
    assert.ok((await page.locator('#buckets [data-testid="bucket"]:not([data-fill="0"])').count()) >= 1, 'a filled bucket');

    // Forks: a two-block side branch from the tip's parent reorganises the chain.
    await page.click('#nav-forks');
    await until(page, 'tips table', () => count('#tips [data-testid="tip-row"]') >= 1, null);
    const oldTip = a.chain.tip.idHex;
    const parent = (await a.chain.entry((await tipEntry(a.chain)).parent))!;
    const s1 = await childOf(a.chain, parent, [], 7n);
    await a.chain.submitBlock(s1);
    const s1Entry = (await a.chain.entry(Buffer.from(blockIdHex(s1), 'hex')))!;
    assert.equal((await a.chain.submitBlock(await childOf(a.chain, s1Entry, [], 7n))).status, 'connected');
    await until(page, 'reorg logged', () => count('#reorgs [data-testid="reorg-row"]') === 1, null);
    await until(page, 'side branch drawn', (id) => document.querySelector(`#fork-tree [data-testid="fork-node"][data-id="${id}"][data-main="false"]`) !== null, oldTip);
    assert.ok((await page.locator('#branches [data-testid="branch"]').count()) >= 1);
    await until(page, 'tips from the node', (id) => {
      const rows = [...document.querySelectorAll('#tips [data-testid="tip-row"]')];
      return rows.length === 2 && rows[0]!.getAttribute('data-status') === 'active' && rows[1]!.getAttribute('data-status') === 'fork' && (rows[1]!.textContent ?? '').includes(id.slice(0, 8));
    }, oldTip);
    await until(page, 'reorg counted in the overview figures', () => text('fork-counts').startsWith('1 reorg,'), null);
    await until(page, 'node reorg history', () => count('#node-reorgs [data-testid="reorgs-table"] tbody tr') === 1, null);
    mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: join(outDir, 'explorer-forks.png'), fullPage: true });

    // A tab opened after the reorg still draws the branch: it comes from /api/tips.
    const late = await browser.newPage();
    await pageHelpers(late);
    try {
      late.on('pageerror', (e) => errors.push(`late tab: ${e.message}`));
      await late.goto(a.apiUrl + '/#/forks');
      await until(late, 'late tab draws the branch', (id) => document.querySelector(`#fork-tree [data-testid="fork-node"][data-id="${id}"][data-main="false"]`) !== null, oldTip);
      assert.equal(await late.locator('#reorgs [data-testid="reorg-row"]').count(), 0, 'it saw no reorg itself');
    } finally {
      await late.close();
    }

    // Search: a height, a block id, a tx id, an address, and nonsense.
    const search = async (q: string): Promise<void> => {
      await page.fill('#search', q);
      await page.press('#search', 'Enter');
    };
    await search(' 2 ');
    await until(page, 'search by height', () => location.hash === '#/block/2', null);
    await search(a.chain.tip.idHex);
    await until(page, 'search by block id', (id) => location.hash === '#/block/' + id && text('block-id') === id, a.chain.tip.idHex);
    await search(txIdHex(tx));
    await until(page, 'search by tx id', (id) => location.hash === '#/tx/' + id && (text('tx-detail') ?? '').includes(id.slice(0, 16)), txIdHex(tx));
    const bob = encodeAddress(testAddress('bob'));
    await search(bob);
    await until(page, 'search by address', (addr) => text('account-address') === addr, bob);
    await search('hello');
    await until(page, 'search hint', () => /block height/.test(text('search-error')), null);

    // Unknown route; an unknown block id.
    await go(page, '#/nothing');
    await until(page, 'not found view', () => !document.getElementById('notfound-view')!.hidden, null);
    await go(page, '#/block/' + 'ee'.repeat(32));
    await until(page, 'block not found', () => text('block-detail').includes('No block found'), null);

    await page.goto(a.apiUrl + '/');
    await until(page, 'tip again', (h) => text('tip-height').trim() === String(h), a.chain.tip.height);
    await page.screenshot({ path: join(outDir, 'explorer.png'), fullPage: true });

    // The node goes away: the banner says so.
    await until(page, 'socket live again', () => text('conn-state') === 'live', null);
    await a.api.stop();
    await until(page, 'banner', () => !document.getElementById('banner')!.hidden && text('conn-state') === 'reconnecting…', null);
    assert.equal((await page.textContent('#banner'))?.trim(), 'node unreachable, retrying');
    assert.deepEqual(errors, [], 'no script errors on any page');
  } finally {
    await browser?.close();
    await net.stopAll();
  }
});
