/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
// Entry module of the explorer page (loaded as /explorer/main.js, type="module"): hash routing and
// search, the open view's refresh (on route change, on live events, and every few seconds for the
// views the event stream does not cover), and the status figures on every page.
import { byId } from './dom.js';
import { short } from './format.js';
import { getJson, ApiRefusal } from './fetch-json.js';
import { tick } from './links.js';
import { classifySearch, parseRoute, routeTitle, VIEW_SECTIONS, type RouteName } from './route.js';
import { page } from './state.js';
import { connectLive, reloadRecent } from './live.js';
import { refreshStatus } from './views/overview.js';
import { renderBlockTimes } from './views/block-times.js';
import { refreshChainStats } from './views/chain-stats.js';
import { showBlock } from './views/block.js';
import { showTx } from './views/tx.js';
import { showAccount } from './views/account.js';
import { showMempool } from './views/mempool.js';
import { showPeers } from './views/peers.js';
import { loadForkLog, loadTips, renderForks } from './views/fork-tree.js';
import { showDht } from './views/dht.js';
import { showLookups } from './views/lookups.js';
import { showPropagation } from './views/propagation.js';
import { showReorgs } from './views/reorgs.js';
import { showDifficulty } from './views/difficulty.js';

const STATUS_MS = 5000, LIVE_VIEWS_MS = 3000, TICK_MS = 1000;

/** What opening (or refreshing) each route renders; the list views and the overview have no argument. */
const SHOW: Partial<Record<RouteName, (arg: string) => Promise<unknown>>> = {
  block: showBlock,
  tx: showTx,
  account: showAccount,
  mempool: showMempool,
  peers: showPeers,
  forks: async () => {
    renderForks();
    await Promise.allSettled([loadTips(), showReorgs(), showDifficulty()]);
  },
  dht: showDht,
  lookups: showLookups,
  propagation: showPropagation,
};
/** Views no event announces: polled while open. */
const POLLED = new Set<RouteName>(['dht', 'lookups', 'propagation']);

function refreshRoute(): void {
  const { name, arg } = page.route;
  void SHOW[name]?.(arg).catch(() => {});
}

function onRoute(focus: boolean): void {
  const r = parseRoute(location.hash, page.route);
  page.route = r;
  for (const [name, id] of Object.entries(VIEW_SECTIONS)) byId(id).hidden = name !== r.name;
  for (const a of document.querySelectorAll('nav a[data-nav]')) {
    if (a.getAttribute('data-nav') === r.name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = routeTitle(r, short);
  refreshRoute();
  if (focus) byId(VIEW_SECTIONS[r.name]).querySelector('h1')?.focus();
}

async function search(q: string): Promise<void> {
  const err = byId('search-error');
  err.textContent = '';
  const s = classifySearch(q);
  if (!s) return;
  if ('go' in s) location.hash = s.go;
  else if ('error' in s) err.textContent = s.error;
  else {
    // A 64-hex id is a block's or a tx's: ask for the block first.
    try {
      await getJson(`/api/blocks/${s.resolveId}`);
      location.hash = `#/block/${s.resolveId}`;
    } catch (e) {
      if (e instanceof ApiRefusal && e.status === 404) location.hash = `#/tx/${s.resolveId}`;
      else err.textContent = e instanceof Error ? e.message : String(e);
    }
  }
}

let genesis: string | null = null;
async function refreshAll(): Promise<void> {
  await Promise.allSettled([
    refreshStatus().then(() => {
      // The fork log is kept per chain: load it once the genesis is known.
      if (page.status && page.status.genesis !== genesis) {
        genesis = page.status.genesis;
        loadForkLog(genesis);
        // The chart's target line and difficulty scale need the status: redraw once it is known.
        if (page.recent.length) renderBlockTimes();
      }
    }),
    refreshChainStats(),
  ]);
}

function init(): void {
  byId('search-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void search(byId<HTMLInputElement>('search').value);
  });
  window.addEventListener('hashchange', () => {
    if (location.hash && !location.hash.startsWith('#/')) return; // the skip link
    onRoute(true);
  });
  onRoute(false);
  void refreshAll();
  void reloadRecent().catch(() => {});
  connectLive(refreshRoute);
  setInterval(() => void refreshAll(), STATUS_MS);
  setInterval(() => {
    if (POLLED.has(page.route.name)) refreshRoute();
  }, LIVE_VIEWS_MS);
  setInterval(tick, TICK_MS);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
