/// <reference lib="dom" />
// The lookup view: the last Kademlia lookups this node ran, round by round: contacts asked, replies,
// and how many leading bits the best reply shares with the target (rising as the lookup converges).
import type { LookupJson } from '../../api/index.js';
import { byId, el, replace, table } from '../dom.js';
import { age, duration, short } from '../format.js';
import { getJson } from '../fetch-json.js';

// A <meter>, not a styled span: the page's CSP allows no inline styles.
function bar(bits: number): HTMLElement {
  return el('meter', { min: 0, max: 64, value: Math.min(64, bits), title: `${bits} bits` });
}

export async function showLookups(): Promise<void> {
  const list = await getJson<LookupJson[]>('/api/lookups');
  const box = byId('lookups-list');
  if (!list.length) return replace(box, el('p', { class: 'muted' }, 'No lookups yet (the node runs one at start and on every bucket refresh).'));
  const now = Date.now();
  replace(
    box,
    list.map((l) =>
      el('section', { class: 'lookup', 'data-testid': 'lookup', 'data-rounds': l.rounds.length }, [
        el('h3', {}, [`${l.kind} `, el('span', { class: 'mono', title: l.target }, short(l.target)), ` · ${age(l.startedAt, now)} · ${duration(l.durationMs)} · ${l.messages} messages · found ${l.found}, best ${l.bestPrefixBits} shared bits`]),
        table(['Round', 'Asked', 'Replied', 'Failed', 'Closest reply (shared bits with target)'], l.rounds.map((r) => [String(r.round), String(r.asked), String(r.replied), String(r.failed), el('span', {}, [bar(r.bestPrefixBits), ` ${r.bestPrefixBits}`])])),
      ]),
    ),
  );
}
