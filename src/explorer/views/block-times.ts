/// <reference lib="dom" />
// The overview's chart: the time between consecutive recent blocks against the target time, with
// each block's difficulty. The genesis interval is left out (its timestamp is fixed long before
// mining starts), as the node's own figures leave it out.
import { byId, el, replace, svg } from '../dom.js';
import { difficulty as fmtDiff } from '../format.js';
import { difficultyOf, page } from '../state.js';

interface Point {
  h: number;
  dt: number;
  d: number;
}

export function renderBlockTimes(): void {
  const box = byId('chart');
  const summary = byId('chart-summary');
  const bs = page.recent.slice().reverse();
  const pts: Point[] = [];
  for (let i = 1; i < bs.length; i++) {
    const [p, b] = [bs[i - 1]!, bs[i]!];
    if (b.height === p.height + 1 && p.height > 0) pts.push({ h: b.height, dt: (b.timestamp - p.timestamp) / 1000, d: difficultyOf(b.target) });
  }
  if (pts.length < 2) {
    replace(box, el('p', { class: 'muted' }, 'Not enough blocks yet for a chart.'));
    summary.textContent = '';
    return;
  }
  const W = 720, H = 230, L = 46, R = 62, T = 16, B = 30;
  const targetS = page.status ? page.status.targetBlockTimeMs / 1000 : 0;
  let maxDt = Math.max(targetS * 2, 1, ...pts.map((p) => p.dt));
  const ds = pts.map((p) => p.d).filter(Number.isFinite);
  let dMin = ds.length ? Math.min(...ds) : 0;
  let dMax = ds.length ? Math.max(...ds) : 1;
  if (!(dMax > dMin)) [dMin, dMax] = [dMin * 0.5, dMax * 1.5 || 1];
  maxDt = Math.ceil(maxDt);
  const x = (j: number): number => L + (j * (W - L - R)) / (pts.length - 1);
  const yT = (v: number): number => T + (H - T - B) * (1 - Math.max(0, v) / maxDt);
  const yD = (v: number): number => T + (H - T - B) * (1 - (v - dMin) / (dMax - dMin));
  const avg = pts.reduce((s, p) => s + p.dt, 0) / pts.length;
  const first = pts[0]!.h, last = pts[pts.length - 1]!.h;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', 'aria-labelledby': 'chart-title chart-desc' }, [
    svg('title', { id: 'chart-title' }, `Block times and difficulty, heights ${first} to ${last}`),
    svg('desc', { id: 'chart-desc' }, `Average block time ${avg.toFixed(1)} s against a target of ${targetS} s.`),
    svg('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }),
    svg('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }),
    svg('line', { class: 'axis', x1: W - R, y1: T, x2: W - R, y2: H - B }),
    svg('text', { x: L - 6, y: yT(0) + 4, 'text-anchor': 'end' }, '0 s'),
    svg('text', { x: L - 6, y: yT(maxDt) + 4, 'text-anchor': 'end' }, `${maxDt.toFixed(0)} s`),
    svg('text', { x: W - R + 6, y: yD(dMax) + 4 }, fmtDiff(dMax)),
    svg('text', { x: W - R + 6, y: yD(dMin) + 4 }, fmtDiff(dMin)),
    svg('text', { x: L, y: H - 8 }, `height ${first}`),
    svg('text', { x: W - R, y: H - 8, 'text-anchor': 'end' }, `height ${last}`),
  ]);
  if (targetS > 0) s.append(svg('line', { class: 'series-target', x1: L, y1: yT(targetS), x2: W - R, y2: yT(targetS) }), svg('text', { x: L + 4, y: yT(targetS) - 4 }, `target ${targetS} s`));
  s.append(
    svg('polyline', { class: 'series-time', points: pts.map((p, j) => `${x(j).toFixed(1)},${yT(p.dt).toFixed(1)}`).join(' ') }),
    svg('polyline', { class: 'series-diff', points: pts.filter((p) => Number.isFinite(p.d)).map((p) => `${x(pts.indexOf(p)).toFixed(1)},${yD(p.d).toFixed(1)}`).join(' ') }),
    svg('line', { class: 'series-time', x1: W - R - 230, y1: T, x2: W - R - 214, y2: T }),
    svg('text', { x: W - R - 210, y: T + 4 }, 'block time (left)'),
    svg('line', { class: 'series-diff', x1: W - R - 112, y1: T, x2: W - R - 96, y2: T }),
    svg('text', { x: W - R - 92, y: T + 4 }, 'difficulty (right)'),
  );
  replace(box, s);
  // The hash rate and block-time figures come from the node (/api/stats, chain-stats.ts).
  summary.textContent = `Block times of the last ${pts.length} blocks against a target of ${targetS} s; the figures above come from the node.`;
}
