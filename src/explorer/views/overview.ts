/// <reference lib="dom" />
// The overview: the status figures the node reports (tip, difficulty, this node's hash rate, peers,
// mempool, sync) and the table of recent main-chain blocks. The node-computed chain figures
// (network hash rate, block times) are chain-stats.ts's; the chart is block-times.ts's.
import type { BlockSummaryJson, StatusJson } from '../../api/index.js';
import { byId, el, replace } from '../dom.js';
import { bytes, difficulty, plural, rate, short } from '../format.js';
import { getJson } from '../fetch-json.js';
import { acctLink, blockLink, cell, noteRow, timeCell } from '../links.js';
import { page, RECENT } from '../state.js';
import { renderBlockTimes } from './block-times.js';

const SHOWN_BLOCKS = 25;

export function renderStatus(s: StatusJson): void {
  page.status = s;
  byId('network').textContent = s.network;
  byId('tip-height').textContent = String(s.height);
  const tip = byId<HTMLAnchorElement>('tip-id');
  tip.textContent = short(s.tip);
  tip.href = `#/block/${s.tip}`;
  tip.title = s.tip;
  replace(byId('tip-age'), timeCell(s.tipTime));
  byId('difficulty').textContent = difficulty(s.difficulty);
  byId('hashrate').textContent = s.mining.enabled ? rate(s.mining.hashrate) : 'not mining';
  byId('peer-count').textContent = `${s.peers.connected} connected, ${s.peers.table} known`;
  byId('mempool-count').textContent = plural(s.mempool, 'tx');
  byId('sync-state').textContent = s.syncing ? 'syncing…' : 'in sync';
}

export async function refreshStatus(): Promise<void> {
  renderStatus(await getJson<StatusJson>('/api/status'));
}

export function renderBlocks(): void {
  const body = byId('blocks');
  if (!page.recent.length) return noteRow(body, 6, 'No blocks yet.');
  replace(
    body,
    page.recent.slice(0, SHOWN_BLOCKS).map((b) =>
      el('tr', { 'data-testid': 'block-row', 'data-height': b.height, 'data-id': b.id }, [
        cell(el('a', { href: `#/block/${b.height}` }, String(b.height)), 'num'),
        cell(blockLink(b.id)),
        cell(timeCell(b.timestamp)),
        cell(String(b.txCount), 'num'),
        cell(b.miner ? acctLink(b.miner) : 'genesis'),
        cell(bytes(b.size), 'num'),
      ]),
    ),
  );
}

/** Reloads the recent blocks; returns them so the fork view can mark what is main chain. */
export async function loadRecent(): Promise<BlockSummaryJson[]> {
  try {
    page.recent = await getJson<BlockSummaryJson[]>(`/api/blocks?limit=${RECENT}`);
  } catch (e) {
    if (!page.recent.length) noteRow(byId('blocks'), 6, e instanceof Error ? e.message : String(e), 'error');
    throw e;
  }
  renderBlocks();
  renderBlockTimes();
  return page.recent;
}

/** A block event that extends the shown tip: prepend it without a reload. False when it does not. */
export function pushBlock(b: BlockSummaryJson): boolean {
  const top = page.recent[0];
  if (!top || b.prevHash !== top.id || b.height !== top.height + 1) return false;
  page.recent.unshift(b);
  if (page.recent.length > RECENT) page.recent.pop();
  renderBlocks();
  renderBlockTimes();
  return true;
}
