/// <reference lib="dom" />
// Live updates over /api/events: new blocks, txs, reorgs and peer changes refresh what the open
// page shows, coalesced so a burst costs one reload. The socket reconnects with capped backoff; the
// banner says "node unreachable, retrying" while the socket or a request cannot reach the node.
import type { ApiEvent, BlockSummaryJson, ReorgEventJson, StatusJson } from '../api/index.js';
import { byId } from './dom.js';
import { onReachability } from './fetch-json.js';
import { page } from './state.js';
import { loadRecent, pushBlock, refreshStatus, renderStatus } from './views/overview.js';
import { loadTips, markMainChain, onReorg, rememberBlock, renderForks } from './views/fork-tree.js';
import { showMempool } from './views/mempool.js';
import { showPeers } from './views/peers.js';
import { showReorgs } from './views/reorgs.js';
import { showDifficulty } from './views/difficulty.js';
import { refreshChainStats } from './views/chain-stats.js';

const RETRY_BASE_MS = 500, RETRY_MAX_MS = 5000;

let wsOpen: boolean | null = null;
let fetchFailed = false;
let retry = 0;

function updateBanner(): void {
  byId('banner').hidden = !(wsOpen === false || fetchFailed);
  byId('conn-state').textContent = wsOpen ? 'live' : wsOpen === null ? 'connecting…' : 'reconnecting…';
}

const timers = new Map<string, ReturnType<typeof setTimeout>>();
/** Runs `fn` once after `ms`, however often it is asked for meanwhile. */
export function soon(name: string, fn: () => Promise<unknown> | void, ms: number): void {
  if (timers.has(name)) return;
  timers.set(name, setTimeout(() => {
    timers.delete(name);
    void Promise.resolve().then(fn).catch(() => {});
  }, ms));
}

export async function reloadRecent(): Promise<void> {
  markMainChain(await loadRecent());
  if (page.route.name === 'forks') renderForks();
}

function onBlock(b: BlockSummaryJson, refreshRoute: () => void): void {
  rememberBlock(b, true);
  if (!pushBlock(b)) soon('recent', reloadRecent, 150);
  if (page.status) renderStatus({ ...page.status, height: b.height, tip: b.id, tipTime: b.timestamp });
  soon('status', refreshStatus, 250);
  soon('chain-stats', refreshChainStats, 300);
  const r = page.route.name;
  if (r === 'mempool') soon('mempool', showMempool, 250);
  if (r === 'forks') {
    soon('forks', renderForks, 200);
    soon('tips', loadTips, 500);
    soon('difficulty', showDifficulty, 500);
  }
  // Confirmations, balances and pending status change with every block.
  if (r === 'block' || r === 'tx' || r === 'account') soon('page', refreshRoute, 300);
}

function onEvent(ev: ApiEvent, refreshRoute: () => void): void {
  switch (ev.type) {
    case 'hello':
      renderStatus(ev.data as StatusJson);
      break;
    case 'block':
      onBlock(ev.data as BlockSummaryJson, refreshRoute);
      break;
    case 'tx':
      soon('status', refreshStatus, 250);
      if (page.route.name === 'mempool') soon('mempool', showMempool, 250);
      break;
    case 'reorg':
      void onReorg(ev.data as ReorgEventJson);
      if (page.route.name === 'forks') {
        soon('tips', loadTips, 500);
        soon('node-reorgs', showReorgs, 300);
      }
      soon('recent', reloadRecent, 150);
      soon('chain-stats', refreshChainStats, 300);
      break;
    case 'peer':
      soon('status', refreshStatus, 250);
      if (page.route.name === 'peers') soon('peers', showPeers, 250);
      break;
  }
}

/** Opens the event socket; `refreshRoute` re-renders the open page (on connect and on new blocks). */
export function connectLive(refreshRoute: () => void): void {
  onReachability((ok) => {
    fetchFailed = !ok;
    updateBanner();
  });
  const connect = (): void => {
    let ws: WebSocket;
    try {
      ws = new WebSocket(`${location.protocol === 'https:' ? 'wss://' : 'ws://'}${location.host}/api/events`);
    } catch {
      wsOpen = false;
      updateBanner();
      return void setTimeout(connect, Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** retry++));
    }
    ws.onopen = () => {
      retry = 0;
      wsOpen = true;
      updateBanner();
      void reloadRecent().catch(() => {});
      refreshRoute();
    };
    ws.onmessage = (m: MessageEvent) => {
      let ev: unknown;
      try {
        ev = JSON.parse(String(m.data));
      } catch {
        return;
      }
      if (ev && typeof ev === 'object' && typeof (ev as { type?: unknown }).type === 'string' && 'data' in ev) onEvent(ev as ApiEvent, refreshRoute);
    };
    ws.onclose = () => {
      wsOpen = false;
      updateBanner();
      setTimeout(connect, Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** retry++));
    };
  };
  updateBanner();
  connect();
}
