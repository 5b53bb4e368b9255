/// <reference lib="dom" />
// The reorg list in the fork view: each reorg with its depth, fork height, and old and new tips.
import type { ReorgJson } from '../../api/index.js';
import { byId, el, replace, table } from '../dom.js';
import { age, short } from '../format.js';
import { getJson } from '../fetch-json.js';

const blockLink = (id: string | null): Node | string => (id ? el('a', { class: 'mono', href: `#/block/${id}`, title: id }, short(id)) : '–');

export async function showReorgs(): Promise<void> {
  const list = await getJson<ReorgJson[]>('/api/reorgs');
  const box = byId('node-reorgs');
  if (!list.length) return replace(box, el('p', { class: 'muted', 'data-testid': 'reorgs-empty' }, 'No reorgs since the node started.'));
  const now = Date.now();
  replace(box, table(['When', 'Fork height', 'Depth', 'Old tip', 'New tip', 'Txs back to mempool'], list.map((r) => [age(r.time, now), String(r.forkHeight), `${r.depth} out, ${r.connectedCount} in`, blockLink(r.oldTip), blockLink(r.newTip), String(r.removedTxs)]), { 'data-testid': 'reorgs-table' }));
}
