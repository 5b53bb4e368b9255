/// <reference lib="dom" />
// The mempool page (#/mempool): pending transactions, highest fee rate first, with how long each waited.
import type { MempoolEntryJson } from '../../api/index.js';
import { byId, el, replace } from '../dom.js';
import { bytes, coins, plural } from '../format.js';
import { getJson } from '../fetch-json.js';
import { acctLink, cell, noteRow, timeCell, txLink } from '../links.js';
import { routeIs } from '../state.js';

export async function showMempool(): Promise<void> {
  const body = byId('mempool-rows');
  let list: MempoolEntryJson[];
  try {
    list = await getJson<MempoolEntryJson[]>('/api/mempool');
  } catch (e) {
    return noteRow(body, 8, e instanceof Error ? e.message : String(e), 'error');
  }
  if (!routeIs('mempool')) return;
  const total = list.reduce((s, t) => s + t.size, 0);
  byId('mempool-summary').textContent = `${plural(list.length, 'transaction')}, ${bytes(total)}, highest fee rate first.`;
  if (!list.length) return noteRow(body, 8, 'The mempool is empty.');
  replace(body, list.map((t) =>
    el('tr', { 'data-testid': 'mempool-row', 'data-id': t.id }, [
      cell(txLink(t.id)), cell(acctLink(t.sender)), cell(acctLink(t.to)), cell(coins(t.amount), 'num'),
      cell(t.kind === 'transfer' ? coins(t.fee) : '–', 'num'), cell(`${t.feeRate} units/kB`, 'num'), cell(t.kind === 'transfer' ? t.nonce : '–', 'num'), cell(timeCell(t.addedAt)),
    ]),
  ));
}
