/// <reference lib="dom" />
// The transaction page (#/tx/<id>): pending or confirmed (and where), and every field of the tx.
import type { TxLookupJson } from '../../api/index.js';
import { byId, el, replace } from '../dom.js';
import { bytes, coins, short } from '../format.js';
import { getJson } from '../fetch-json.js';
import { acctLink, blockLink, kv, loading, showError, type KvRow } from '../links.js';
import { routeIs } from '../state.js';

export async function showTx(id: string): Promise<void> {
  const box = byId('tx-detail');
  byId('h-tx').textContent = `Transaction ${short(id)}`;
  loading(box, id);
  let r: TxLookupJson;
  try {
    r = await getJson<TxLookupJson>(`/api/txs/${encodeURIComponent(id)}`);
  } catch (e) {
    if (routeIs('tx', id)) showError(box, e, 'transaction');
    return;
  }
  if (!routeIs('tx', id)) return;
  const t = r.tx;
  const transfer: KvRow[] = t.kind === 'transfer'
    ? [['Fee', `${coins(t.fee)} coins`], ['Nonce', t.nonce], ['Public key', el('span', { class: 'hash' }, t.from)], ['Chain id', el('span', { class: 'hash' }, t.chainId)], ['Signature', el('span', { class: 'hash' }, t.signature)]]
    : [];
  replace(box, kv([
    ['Id', el('span', { class: 'hash', id: 'tx-id', 'data-testid': 'tx-id' }, r.id)],
    ['Status', el('span', { class: `tag ${r.status}`, id: 'tx-status', 'data-testid': 'tx-status' }, r.status)],
    ['Block', r.block ? blockLink(r.block, `${r.height} · ${short(r.block)}`) : 'not yet in a block'],
    ['Confirmations', String(r.confirmations)],
    ['Kind', t.kind],
    t.kind === 'transfer' ? ['From', acctLink(t.sender, t.sender)] : ['Height', String(t.height)],
    ['To', acctLink(t.to, t.to)],
    ['Amount', `${coins(t.amount)} coins`],
    ...transfer,
    ['Size', bytes(t.size)],
  ]));
}
