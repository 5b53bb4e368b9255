/// <reference lib="dom" />
// The block page (#/block/<height or id>): header fields, chain position and its transactions.
import type { BlockJson } from '../../api/index.js';
import { byId, el, replace } from '../dom.js';
import { bytes, coins, difficulty, plural, short, when, age } from '../format.js';
import { getJson } from '../fetch-json.js';
import { acctLink, blockLink, kv, loading, showError } from '../links.js';
import { difficultyOf, routeIs } from '../state.js';
import { txTable } from './tx-table.js';
import { rememberBlock } from './fork-tree.js';

export async function showBlock(ref: string): Promise<void> {
  const box = byId('block-detail');
  const heading = byId('h-block');
  heading.textContent = `Block ${/^\d+$/.test(ref) ? ref : short(ref)}`;
  loading(box, ref);
  let b: BlockJson;
  try {
    b = await getJson<BlockJson>(`/api/blocks/${encodeURIComponent(ref)}`);
  } catch (e) {
    if (routeIs('block', ref)) showError(box, e, 'block');
    return;
  }
  if (!routeIs('block', ref)) return; // the user moved on while it loaded
  rememberBlock(b, b.main);
  heading.textContent = `Block ${b.height}`;
  replace(box, [
    kv([
      ['Id', el('span', { class: 'hash', id: 'block-id', 'data-testid': 'block-id' }, b.id)],
      ['Height', el('span', { id: 'block-height', 'data-testid': 'block-height' }, String(b.height))],
      ['Status', el('span', { class: `tag ${b.main ? 'main' : 'side'}` }, b.main ? 'main chain' : 'side branch')],
      ['Confirmations', String(b.confirmations)],
      ['Time', `${when(b.timestamp)} (${age(b.timestamp)})`],
      ['Miner', b.miner ? acctLink(b.miner, b.miner) : 'genesis'],
      ['Reward + fees', `${coins(b.reward)} coins`],
      ['Previous', b.height > 0 ? blockLink(b.prevHash, b.prevHash) : 'none'],
      ['Next', b.next ? blockLink(b.next, b.next) : 'none yet'],
      ['Target', el('span', { class: 'hash' }, b.target)],
      ['Difficulty', difficulty(difficultyOf(b.target))],
      ['Nonce', String(b.nonce)],
      ['Merkle root', el('span', { class: 'hash' }, b.header.merkleRoot)],
      ['Size', bytes(b.size)],
      ['Chain work', el('span', { class: 'hash' }, b.work)],
    ]),
    el('h2', {}, plural(b.txs.length, 'transaction')),
    txTable(b.txs),
  ]);
}
