/// <reference lib="dom" />
// The transaction table shared by the block page (its txs) and the account page (its pending txs).
import type { TxViewJson } from '../../api/index.js';
import { el } from '../dom.js';
import { coins } from '../format.js';
import { acctLink, cell, txLink } from '../links.js';

export function txTable(txs: TxViewJson[]): HTMLElement {
  const head = ['Transaction', 'Kind', 'From', 'To', 'Amount', 'Fee'];
  return el('div', { class: 'table-wrap' }, el('table', { class: 'grid', 'data-testid': 'block-txs' }, [
    el('thead', {}, el('tr', {}, head.map((h, i) => el('th', { scope: 'col', class: i >= 4 ? 'num' : null }, h)))),
    el('tbody', {}, txs.map((t) =>
      el('tr', { 'data-testid': 'tx-row' }, [
        cell(txLink(t.id)),
        cell(t.kind),
        cell(t.kind === 'coinbase' ? 'new coins' : acctLink(t.sender)),
        cell(acctLink(t.to)),
        cell(coins(t.amount), 'num'),
        cell(t.kind === 'coinbase' ? '–' : coins(t.fee), 'num'),
      ]),
    )),
  ]));
}
