/// <reference lib="dom" />
// The peers page (#/peers): connected WebSocket peers, the Kademlia table's fill per bucket as bars
// (k = 20 each), and every routing-table entry, deepest bucket first.
import type { PeersJson } from '../../api/index.js';
import { byId, el, replace, svg } from '../dom.js';
import { short } from '../format.js';
import { getJson } from '../fetch-json.js';
import { cell, noteRow, timeCell } from '../links.js';
import { routeIs } from '../state.js';

const K = 20;

export async function showPeers(): Promise<void> {
  let p: PeersJson;
  try {
    p = await getJson<PeersJson>('/api/peers');
  } catch (e) {
    return noteRow(byId('peers-connected'), 6, e instanceof Error ? e.message : String(e), 'error');
  }
  if (!routeIs('peers')) return;
  const conn = byId('peers-connected');
  if (!p.connected.length) noteRow(conn, 6, 'No connected peers.');
  else replace(conn, p.connected.map((c) =>
    el('tr', { 'data-testid': 'peer-row', 'data-id': c.id }, [
      cell(el('span', { class: 'mono', title: c.id }, short(c.id))), cell(`${c.host}:${c.port}`), cell(c.direction),
      cell(String(c.height), 'num'), cell(String(c.score), 'num'), cell(timeCell(c.connectedAt)),
    ]),
  ));
  renderBuckets(p.buckets);
  const tb = byId('peers-table');
  const entries = p.table.slice().sort((a, b) => b.bucket - a.bucket || b.lastSeen - a.lastSeen);
  if (!entries.length) noteRow(tb, 4, 'The routing table is empty.');
  else replace(tb, entries.map((e) =>
    el('tr', { 'data-testid': 'table-row', 'data-bucket': e.bucket }, [
      cell(String(e.bucket), 'num'), cell(el('span', { class: 'mono', title: e.id }, short(e.id))), cell(`${e.host}:${e.port}`), cell(timeCell(e.lastSeen)),
    ]),
  ));
}

/** Bucket i holds ids sharing i leading bits: at most one per id bit. */
const ID_BITS = 256;

/**
 * One bar per bucket up to one past the deepest filled one, and at least 24, so the empty deep
 * buckets show too (the node lists buckets only up to its deepest in use).
 */
function renderBuckets(fill: number[]): void {
  const last = fill.reduce((m, n, i) => (n > 0 ? i : m), 0);
  const count = Math.min(Math.max(24, last + 2), ID_BITS);
  const bw = 18, gap = 4, L = 30, T = 10, B = 34, H = 150;
  const W = L + count * (bw + gap) + 10;
  const full = H - T - B;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'group', 'aria-label': `Routing table buckets 0 to ${count - 1}` }, [
    svg('text', { x: L - 4, y: T + 8, 'text-anchor': 'end' }, String(K)),
    svg('text', { x: L - 4, y: H - B, 'text-anchor': 'end' }, '0'),
  ]);
  for (let i = 0; i < count; i++) {
    const n = fill[i] ?? 0;
    const h = Math.round((full * Math.min(n, K)) / K);
    const x = L + i * (bw + gap);
    const g = svg('g', { 'data-testid': 'bucket', 'data-bucket': i, 'data-fill': n, tabindex: n > 0 ? 0 : null, role: 'img', 'aria-label': `bucket ${i}: ${n} of ${K}` }, [
      svg('title', {}, `bucket ${i} (shared prefix ${i} bits): ${n} / ${K}`),
      svg('rect', { class: 'bucket-bg', x, y: T, width: bw, height: full }),
      svg('rect', { class: 'bucket-bar', x, y: T + full - h, width: bw, height: h }),
    ]);
    if (i % 4 === 0) g.append(svg('text', { x: x + bw / 2, y: H - B + 14, 'text-anchor': 'middle' }, String(i)));
    s.append(g);
  }
  s.append(svg('text', { x: L, y: H - 4 }, 'shared-prefix length with this node (bucket)'));
  replace(byId('buckets'), s);
}
