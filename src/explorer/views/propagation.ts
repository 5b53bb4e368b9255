/// <reference lib="dom" />
// The propagation view: for recent blocks, when this node first heard of each and from whom, when
// it connected it, and when every connected peer announced or sent it (relative to first seen).
import type { PropagationJson } from '../../api/index.js';
import { byId, el, replace, table } from '../dom.js';
import { age, short } from '../format.js';
import { getJson } from '../fetch-json.js';

const delta = (ms: number): string => `+${Math.max(0, Math.round(ms))} ms`;

export async function showPropagation(): Promise<void> {
  const list = await getJson<PropagationJson[]>('/api/propagation');
  const box = byId('propagation-list');
  if (!list.length) return replace(box, el('p', { class: 'muted' }, 'No blocks seen since the node started.'));
  const now = Date.now();
  replace(
    box,
    list.map((b) =>
      el('section', { class: 'propagation', 'data-testid': 'propagation-block', 'data-announcements': b.announcements.length }, [
        el('h3', {}, [
          b.height === null ? 'not connected ' : `#${b.height} `,
          el('a', { class: 'mono', href: `#/block/${b.id}`, title: b.id }, short(b.id)),
          ` · first seen ${age(b.firstSeenAt, now)} from ${b.firstFrom === null ? '?' : b.firstFrom === 'local' ? 'this node (mined or submitted here)' : short(b.firstFrom)}`,
          b.connectedAt === null ? '' : ` · connected ${delta(b.connectedAt - b.firstSeenAt)}`,
        ]),
        b.announcements.length
          ? table(['Peer', 'Endpoint', 'How', 'When'], b.announcements.map((a) => [el('span', { class: 'mono', title: a.peer }, short(a.peer)), a.host, a.via === 'inv' ? 'announced (inv)' : a.via === 'header' ? 'announced (header)' : 'sent the block', delta(a.at - b.firstSeenAt)]))
          : el('p', { class: 'muted' }, 'No peer has announced it yet.'),
      ]),
    ),
  );
}
