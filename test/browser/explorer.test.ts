/// <reference lib="dom" />
// The explorer in real Chromium (playwright-core driving Debian's /usr/bin/chromium) against real
// nodes: the tip shows, a new block appears without reload, search opens a tx, peers are listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { txIdHex } from '../../src/core/index.js';
import { transfer, testAddress } from '../helpers/fixtures.js';
import { childOf, tipEntry } from '../helpers/chain-helpers.js';
import { testNet, waitUntil } from '../helpers/node-helpers.js';

/** Names the step in a timeout, so a failure says what the page did not show. */
async function step<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw new Error(`explorer step "${name}" failed: ${(e as Error).message.split('\n')[0]}`);
  }
}

const outDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test-output');

test('explorer: tip, live block, tx search, peers, screenshot', { timeout: 120_000 }, async () => {
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

    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    });
    const page = await browser.newPage();
    await page.goto(a.apiUrl + '/');
    await step('tip 2', () => page.waitForFunction(() => document.querySelector('#tip-height')?.textContent?.trim() === '2', undefined, { timeout: 20_000 }));

    // A newly mined block appears without a reload.
    await a.chain.submitBlock(await childOf(a.chain, await tipEntry(a.chain)));
    await step('live tip 3', () => page.waitForFunction(() => document.querySelector('#tip-height')?.textContent?.trim() === '3', undefined, { timeout: 20_000 }));
    const blocksText = await page.locator('#blocks').innerText();
    assert.match(blocksText, /3/);

    // Searching a tx id opens its page.
    const id = txIdHex(tx);
    await page.fill('#search', id);
    await page.press('#search', 'Enter');
    await step('tx view', () => page.waitForFunction((txid) => (document.querySelector('#tx-detail')?.textContent ?? '').includes(txid.slice(0, 16)), id, { timeout: 20_000 }));

    // The peers view lists the other node.
    await page.click('#nav-peers');
    await step('peers view', () => page.waitForFunction((peer) => document.querySelector(`#peers-connected [title="${peer}"]`) !== null, b.nodeId, { timeout: 20_000 }));

    mkdirSync(outDir, { recursive: true });
    await page.goto(a.apiUrl + '/');
    await page.waitForFunction(() => document.querySelector('#tip-height')?.textContent?.trim() === '3', undefined, { timeout: 20_000 });
    await page.screenshot({ path: join(outDir, 'explorer.png'), fullPage: true });
  } finally {
    await browser?.close();
    await net.stopAll();
  }
});
