/// <reference lib="dom" />
// The account page (#/account/<kc1…>): balance, nonces, and its transactions still in the mempool.
import type { AccountJson, MempoolEntryJson } from '../../api/index.js';
import { byId, el, replace } from '../dom.js';
import { coins, shortAddr } from '../format.js';
import { getJson } from '../fetch-json.js';
import { kv, loading, showError } from '../links.js';
import { routeIs } from '../state.js';
import { txTable } from './tx-table.js';

export async function showAccount(addr: string): Promise<void> {
  const box = byId('account-detail');
  byId('h-account').textContent = `Account ${shortAddr(addr)}`;
  loading(box, addr);
  let a: AccountJson;
  let pool: MempoolEntryJson[];
  try {
    // The pending list is a courtesy: the page still shows the balance when the mempool call fails.
    [a, pool] = await Promise.all([getJson<AccountJson>(`/api/accounts/${encodeURIComponent(addr)}`), getJson<MempoolEntryJson[]>('/api/mempool').catch(() => [])]);
  } catch (e) {
    if (routeIs('account', addr)) showError(box, e, 'account');
    return;
  }
  if (!routeIs('account', addr)) return;
  const pending = pool.filter((t) => t.sender === addr || t.to === addr);
  replace(box, [
    kv([
      ['Address', el('span', { class: 'hash', id: 'account-address', 'data-testid': 'account-address' }, a.address)],
      ['Balance', el('span', { id: 'account-balance', 'data-testid': 'account-balance' }, `${coins(a.balance)} coins`)],
      ['Nonce', el('span', { id: 'account-nonce', 'data-testid': 'account-nonce' }, a.nonce)],
      ['Next nonce (with pending)', a.pendingNonce],
    ]),
    el('h2', {}, 'Pending transactions'),
    pending.length ? txTable(pending) : el('p', { class: 'muted' }, 'None in the mempool.'),
  ]);
}
