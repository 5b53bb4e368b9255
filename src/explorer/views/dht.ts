/// <reference lib="dom" />
// The DHT view: this node's Kademlia routing table as k-buckets by shared-prefix length with its
// own id, each entry with its last-seen age.
import type { PeersJson } from '../../api/index.js';
import { byId, el, replace, table } from '../dom.js';
import { age, short } from '../format.js';
import { getJson } from '../fetch-json.js';

export async function showDht(): Promise<void> {
  const p = await getJson<PeersJson>('/api/peers');
  const box = byId('dht-buckets');
  const byBucket = new Map<number, PeersJson['table']>();
  for (const e of p.table) byBucket.set(e.bucket, [...(byBucket.get(e.bucket) ?? []), e]);
  const buckets = [...byBucket.keys()].sort((a, b) => a - b);
  if (!buckets.length) return replace(box, el('p', { class: 'muted' }, 'The routing table is empty.'));
  const now = Date.now();
  replace(box, [
    el('p', { class: 'muted' }, `${p.table.length} contacts in ${buckets.length} buckets. Bucket i holds ids that share exactly i leading bits with this node's id; the deeper the bucket, the closer (and rarer) its contacts.`),
    ...buckets.map((b) =>
      el('section', { class: 'bucket', 'data-testid': 'dht-bucket', 'data-bucket': b }, [
        el('h3', {}, `Bucket ${b} · ${byBucket.get(b)!.length} ${byBucket.get(b)!.length === 1 ? 'contact' : 'contacts'}`),
        table(['Node id', 'Endpoint', 'Last seen'], byBucket.get(b)!.map((e) => [el('span', { class: 'mono', title: e.id }, short(e.id)), `${e.host}:${e.port}`, e.lastSeen ? age(e.lastSeen, now) : 'never'])),
      ]),
    ),
  ]);
}
