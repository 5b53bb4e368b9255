// The explorer's browser script run for real (node:vm) against a live API server, with a tiny
// fake DOM standing in for the browser: it must render the tip, the recent blocks, every page
// (block, tx, account, mempool, peers, forks), follow live events including a reorg, and show the
// "node unreachable, retrying" banner when the node goes away. A headless-browser test can drive
// the same ids; this one needs no browser and catches script errors on every render path.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { runInNewContext } from 'node:vm';
import { WebSocket } from 'ws';
import { EXPLORER_HTML, EXPLORER_JS } from '../../../src/api/explorer/index.js';
import { blockIdHex, encodeAddress, txIdHex, txToJson } from '../../../src/core/index.js';
import { extend, childOf, tipEntry } from '../../helpers/chain-helpers.js';
import { transfer, testAddress } from '../../helpers/fixtures.js';
import { startApi, type ApiHarness } from './api-harness.js';

class FakeNode {
  children: FakeNode[] = [];
  attrs = new Map<string, string>();
  listeners = new Map<string, ((e: unknown) => void)[]>();
  parent: FakeNode | null = null;
  hidden = false;
  private text = '';
  constructor(readonly tagName: string) {}
  get firstChild(): FakeNode | null {
    return this.children[0] ?? null;
  }
  appendChild(c: FakeNode): FakeNode {
    c.parent = this;
    this.children.push(c);
    return c;
  }
  removeChild(c: FakeNode): FakeNode {
    this.children = this.children.filter((x) => x !== c);
    return c;
  }
  setAttribute(k: string, v: string): void {
    this.attrs.set(k, String(v));
  }
  getAttribute(k: string): string | null {
    return this.attrs.get(k) ?? null;
  }
  removeAttribute(k: string): void {
    this.attrs.delete(k);
  }
  set textContent(v: string) {
    this.children = [];
    this.text = String(v);
  }
  get textContent(): string {
    return this.text + this.children.map((c) => c.textContent).join('');
  }
  addEventListener(type: string, fn: (e: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  focus(): void {}
  querySelector(sel: string): FakeNode | null {
    return this.all().find((n) => n.tagName === sel) ?? null;
  }
  all(): FakeNode[] {
    return this.children.flatMap((c) => [c, ...c.all()]);
  }
  /** Descendants with an attribute (value optional). */
  find(attr: string, value?: string): FakeNode[] {
    return this.all().filter((n) => n.attrs.has(attr) && (value === undefined || n.attrs.get(attr) === value));
  }
}

interface Page {
  el(id: string): FakeNode;
  hash(): string;
  search(q: string): void;
  go(hash: string): void;
  until(what: string, cond: () => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Loads the explorer script into a fresh context wired to the server at `base`. */
function openPage(base: string): Page {
  const ids = [...EXPLORER_HTML.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
  const nodes = new Map<string, FakeNode>();
  for (const id of ids) {
    const n = new FakeNode(/^h-/.test(id) ? 'h1' : 'div');
    nodes.set(id, n);
  }
  // Sections contain their heading, so onRoute can focus it.
  for (const [section, heading] of [['view-home', 'h-home'], ['block-view', 'h-block'], ['tx-view', 'h-tx'], ['account-view', 'h-account'], ['mempool', 'h-mempool'], ['peers', 'h-peers'], ['forks', 'h-forks'], ['notfound-view', 'h-notfound']] as const) {
    nodes.get(section)!.appendChild(nodes.get(heading)!);
  }
  const timers: NodeJS.Timeout[] = [];
  const sockets: WebSocket[] = [];
  const winListeners = new Map<string, (() => void)[]>();
  const location = { hash: '', protocol: 'http:', host: new URL(base).host };
  const storage = new Map<string, string>();
  const errors: unknown[] = [];
  let closed = false;
  const document = {
    readyState: 'complete',
    title: '',
    getElementById: (id: string) => nodes.get(id) ?? null,
    createElement: (tag: string) => new FakeNode(tag),
    createElementNS: (_ns: string, tag: string) => new FakeNode(tag),
    createTextNode: (t: string) => {
      const n = new FakeNode('#text');
      n.textContent = t;
      return n;
    },
    querySelectorAll: () => [],
    addEventListener: () => {},
  };
  class PageSocket extends WebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
      // A socket that fails to connect reports through onerror/onclose; keep it off the process.
      this.on('error', () => {});
    }
  }
  const context = {
    document,
    location,
    window: { addEventListener: (t: string, fn: () => void) => winListeners.set(t, [...(winListeners.get(t) ?? []), fn]) },
    // After close the page is gone: its requests never settle, like a closed tab's.
    fetch: (path: string, init?: RequestInit) => (closed ? new Promise(() => {}) : fetch(base + path, init)),
    WebSocket: PageSocket,
    sessionStorage: { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, v) },
    setTimeout: (fn: () => void, ms: number) => {
      if (closed) return undefined;
      const t = setTimeout(() => {
        if (closed) return;
        try {
          fn();
        } catch (e) {
          errors.push(e);
        }
      }, ms);
      timers.push(t);
      return t;
    },
    setInterval: (fn: () => void, ms: number) => {
      if (closed) return undefined;
      const t = setInterval(() => {
        if (!closed) fn();
      }, ms);
      timers.push(t);
      return t;
    },
    console,
  };
  runInNewContext(EXPLORER_JS, context, { filename: 'explorer.js' });
  return {
    el: (id) => {
      const n = nodes.get(id);
      if (!n) throw new Error(`no #${id}`);
      return n;
    },
    hash: () => location.hash,
    search(q) {
      (nodes.get('search') as FakeNode & { value: string }).value = q;
      for (const fn of nodes.get('search-form')!.listeners.get('submit') ?? []) fn({ preventDefault() {} });
    },
    go(hash) {
      location.hash = hash;
      for (const fn of winListeners.get('hashchange') ?? []) fn();
    },
    async until(what, cond, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!cond()) {
        if (errors.length) throw errors[0];
        if (Date.now() > deadline) throw new Error(`explorer: ${what} did not happen within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.terminate();
    },
  };
}

let h: ApiHarness;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => void unhandled.push(e);
before(async () => {
  process.on('unhandledRejection', onUnhandled);
  h = await startApi();
  await extend(h.chain, 4);
});
after(async () => {
  process.off('unhandledRejection', onUnhandled);
  await h.close();
});

test('explorer renders the overview, every page, live blocks and a reorg', async () => {
  const page = openPage(h.url);
  try {
    await page.until('tip height', () => page.el('tip-height').textContent === '4');
    await page.until('recent blocks', () => page.el('blocks').find('data-testid', 'block-row').length === 5);
    assert.equal(page.el('network').textContent, 'kadchain-test');
    assert.equal(page.el('hashrate').textContent, '1.23 kH/s');
    assert.match(page.el('peer-count').textContent, /1 connected/);
    assert.equal(page.el('banner').hidden, true);
    await page.until('chart', () => page.el('chart').all().some((n) => n.tagName === 'polyline'));

    // Live: a new block shows up without a reload.
    await page.until('socket open', () => page.el('conn-state').textContent === 'live');
    await extend(h.chain, 1);
    await page.until('live block', () => page.el('tip-height').textContent === '5' && page.el('blocks').find('data-height', '5').length === 1);

    // Block page, by height.
    page.go('#/block/1');
    assert.equal(page.el('block-view').hidden, false);
    assert.equal(page.el('view-home').hidden, true);
    const b1 = (await h.chain.getBlock(1))!;
    await page.until('block page', () => page.el('block-detail').textContent.includes(b1.entry.idHex));

    // A pending transaction: tx page, account page, mempool page.
    const tx = transfer('alice', testAddress('bob'), 42n, 0n, h.chain.genesis.id);
    assert.equal((await fetch(h.url + '/api/txs', { method: 'POST', body: JSON.stringify(txToJson(tx)), headers: { 'content-type': 'application/json' } })).status, 202);
    page.go('#/tx/' + txIdHex(tx));
    await page.until('tx page', () => page.el('tx-detail').textContent.includes('pending'));
    // The tx page follows the chain: pending, then confirmed after a block, without a reload.
    await h.mine([tx]);
    await page.until('tx confirmed live', () => page.el('tx-detail').textContent.includes('confirmed'));
    const tx2 = transfer('alice', testAddress('bob'), 43n, 1n, h.chain.genesis.id);
    assert.equal((await fetch(h.url + '/api/txs', { method: 'POST', body: JSON.stringify(txToJson(tx2)), headers: { 'content-type': 'application/json' } })).status, 202);
    page.go('#/account/' + encodeAddress(testAddress('alice')));
    await page.until('account page', () => page.el('account-detail').textContent.includes('Pending transactions') && page.el('account-detail').find('data-testid', 'tx-row').length === 1);
    page.go('#/mempool');
    await page.until('mempool page', () => page.el('mempool-rows').find('data-testid', 'mempool-row').length === 1);
    await h.mine();
    await page.until('mempool emptied live', () => page.el('mempool-rows').textContent.includes('empty'));

    // Peers page: connected table and routing-table buckets.
    page.go('#/peers');
    await page.until('peers page', () => page.el('peers-connected').find('data-testid', 'peer-row').length === 1);
    const buckets = page.el('buckets').find('data-testid', 'bucket');
    assert.ok(buckets.length >= 24);
    assert.equal(buckets.find((b) => b.getAttribute('data-bucket') === '3')!.getAttribute('data-fill'), '1');

    // A reorg: the fork view shows the side branch and logs the reorg.
    page.go('#/forks');
    const oldTip = h.chain.tip.idHex;
    const tip = await tipEntry(h.chain);
    const parent = (await h.chain.entry(tip.parent))!;
    const s1 = await childOf(h.chain, parent, [], 7n);
    await h.chain.submitBlock(s1);
    const s1Entry = (await h.chain.entry(Buffer.from(blockIdHex(s1), 'hex')))!;
    const s2 = await childOf(h.chain, s1Entry, [], 7n);
    assert.equal((await h.chain.submitBlock(s2)).status, 'connected');
    await page.until('reorg logged', () => page.el('reorgs').find('data-testid', 'reorg-row').length === 1);
    await page.until('side branch drawn', () =>
      page.el('fork-tree').find('data-testid', 'fork-node').some((n) => n.getAttribute('data-id') === oldTip && n.getAttribute('data-main') === 'false'),
    );
    assert.ok(page.el('branches').find('data-testid', 'branch').length >= 1);
    await page.until('chain tips from the node', () => {
      const rows = page.el('tips').find('data-testid', 'tip-row');
      return rows.length === 2 && rows[0]!.getAttribute('data-status') === 'active' && rows[1]!.getAttribute('data-status') === 'fork' && rows[1]!.textContent.includes(oldTip.slice(0, 8));
    });
    // A tab opened after the reorg still draws the side branch: it comes from /api/tips.
    const late = openPage(h.url);
    try {
      late.go('#/forks');
      await late.until('late tab draws the branch from the node', () =>
        late.el('fork-tree').find('data-testid', 'fork-node').some((n) => n.getAttribute('data-id') === oldTip && n.getAttribute('data-main') === 'false'),
      );
      assert.equal(late.el('reorgs').find('data-testid', 'reorg-row').length, 0); // it saw no reorg itself
    } finally {
      late.close();
    }

    // The search box: height, block id, tx id, address, nonsense.
    page.search(' 2 ');
    assert.equal(page.hash(), '#/block/2');
    page.search(h.chain.tip.idHex);
    await page.until('search by block id', () => page.hash() === '#/block/' + h.chain.tip.idHex);
    page.search(txIdHex(tx));
    await page.until('search by tx id', () => page.hash() === '#/tx/' + txIdHex(tx));
    page.search(encodeAddress(testAddress('bob')));
    assert.equal(page.hash(), '#/account/' + encodeAddress(testAddress('bob')));
    page.search('hello');
    assert.match(page.el('search-error').textContent, /block height/);

    // Unknown route and an unknown block id.
    page.go('#/nothing');
    assert.equal(page.el('notfound-view').hidden, false);
    page.go('#/block/' + 'ee'.repeat(32));
    await page.until('block not found', () => page.el('block-detail').textContent.includes('No block found'));
    assert.deepEqual(unhandled, []);
  } finally {
    page.close();
  }
});

test('explorer shows "node unreachable, retrying" when the node goes away', async () => {
  const x = await startApi();
  const page = openPage(x.url);
  try {
    await page.until('socket open', () => page.el('conn-state').textContent === 'live');
    assert.equal(page.el('banner').hidden, true);
    await x.api.stop();
    await page.until('banner', () => page.el('banner').hidden === false);
    // The banner's text is static markup (the fake DOM does not parse HTML).
    assert.match(EXPLORER_HTML, /<div id="banner"[^>]*>node unreachable, retrying<\/div>/);
    // A failed fetch can raise the banner before the socket's close event arrives.
    await page.until('socket marked down', () => page.el('conn-state').textContent === 'reconnecting…');
    assert.equal(page.el('banner').hidden, false);
  } finally {
    page.close();
    await x.close();
  }
});
