/// <reference lib="dom" />
// Difficulty over the recent main chain, with the retarget heights marked, in the fork view.
// Difficulty is powLimit / target; the page knows the tip's difficulty and every block's target,
// so each block's difficulty is the tip's scaled by tipTarget / target (no powLimit needed).
import type { BlockSummaryJson, ChainStatsJson } from '../../api/index.js';
import { byId, el, replace, svg } from '../dom.js';
import { difficulty as fmt } from '../format.js';
import { getJson } from '../fetch-json.js';

const targetOf = (hex: string): number => Number(BigInt('0x' + hex));

export async function showDifficulty(): Promise<void> {
  const [blocks, stats] = await Promise.all([getJson<BlockSummaryJson[]>('/api/blocks?limit=100'), getJson<ChainStatsJson>('/api/stats')]);
  const box = byId('difficulty-chart');
  const bs = blocks.filter((b) => b.height > 0).reverse();
  if (bs.length < 2) return replace(box, el('p', { class: 'muted' }, 'Not enough blocks yet.'));
  const tip = bs[bs.length - 1]!;
  const pts = bs.map((b) => ({ h: b.height, d: (stats.difficulty * targetOf(tip.target)) / targetOf(b.target) }));
  const W = 720, H = 200, L = 60, R = 20, T = 16, B = 30;
  let lo = Math.min(...pts.map((p) => p.d));
  let hi = Math.max(...pts.map((p) => p.d));
  if (!(hi > lo)) [lo, hi] = [lo * 0.5, hi * 1.5];
  const x = (h: number): number => L + ((h - pts[0]!.h) * (W - L - R)) / Math.max(1, tip.height - pts[0]!.h);
  const y = (d: number): number => T + (H - T - B) * (1 - (d - lo) / (hi - lo));
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-label': `Difficulty from height ${pts[0]!.h} to ${tip.height}, retargets every ${stats.retarget.interval} blocks` });
  s.append(svg('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }), svg('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }));
  s.append(svg('text', { x: L - 6, y: y(hi) + 4, 'text-anchor': 'end' }, fmt(hi)), svg('text', { x: L - 6, y: y(lo) + 4, 'text-anchor': 'end' }, fmt(lo)));
  s.append(svg('text', { x: L, y: H - 8 }, `height ${pts[0]!.h}`), svg('text', { x: W - R, y: H - 8, 'text-anchor': 'end' }, `height ${tip.height}`));
  let marks = 0;
  for (const p of pts) {
    if (p.h % stats.retarget.interval !== 0) continue;
    marks++;
    s.append(svg('line', { class: 'series-target', x1: x(p.h), y1: T, x2: x(p.h), y2: H - B, 'data-retarget': p.h }));
  }
  // A step line: a block's difficulty holds until the next block changes it.
  const steps = pts.flatMap((p, i) => (i === 0 ? [[p.h, p.d]] : [[p.h, pts[i - 1]!.d], [p.h, p.d]]));
  s.append(svg('polyline', { class: 'series-diff', points: steps.map(([h, d]) => `${x(h!).toFixed(1)},${y(d!).toFixed(1)}`).join(' ') }));
  replace(box, [
    s,
    el('p', { class: 'muted', 'data-testid': 'difficulty-summary' }, `Difficulty ${fmt(stats.difficulty)} now; ${marks} retarget point(s) in view (dashed, every ${stats.retarget.interval} blocks); next at height ${stats.retarget.nextHeight}.`),
  ]);
}
