/// <reference lib="dom" />
// The overview's node-computed figures: network hash rate, mean/median block time, next retarget,
// orphans and reorgs, all from /api/stats. The page computes none of them.
import type { ChainStatsJson } from '../../api/index.js';
import { figure } from '../dom.js';
import { difficulty, duration, plural, rate } from '../format.js';
import { getJson } from '../fetch-json.js';

export async function refreshChainStats(): Promise<ChainStatsJson> {
  const s = await getJson<ChainStatsJson>('/api/stats');
  const counted = s.window.intervals;
  figure('net-hashrate', counted ? `${rate(s.networkHashrate)} (${counted} blocks)` : '– (too few blocks)', counted ? s.networkHashrate : null);
  figure('block-time-mean', s.meanBlockTimeMs === null ? '–' : `${duration(s.meanBlockTimeMs)} (target ${duration(s.targetBlockTimeMs)})`, s.meanBlockTimeMs);
  figure('block-time-median', s.medianBlockTimeMs === null ? '–' : duration(s.medianBlockTimeMs), s.medianBlockTimeMs);
  const est = s.retarget.estimatedDifficulty;
  figure('next-retarget', `height ${s.retarget.nextHeight} (in ${s.retarget.blocksLeft})${est === null ? '' : `, est. difficulty ${difficulty(est)}`}`, s.retarget.nextHeight);
  figure('fork-counts', `${plural(s.reorgs, 'reorg')}, ${plural(s.orphans, 'orphan')}, ${plural(s.sideTips, 'side tip')}`, s.reorgs);
  const note = document.getElementById('stats-note');
  if (note) {
    const ex = s.window.excluded;
    note.textContent = `Over heights ${s.window.fromHeight}–${s.window.toHeight}` + (ex.genesis || ex.restarts ? `, leaving out ${ex.genesis ? 'the genesis gap' : ''}${ex.genesis && ex.restarts ? ' and ' : ''}${ex.restarts ? `${ex.restarts} clock restart(s)` : ''}` : '') + '.';
  }
  return s;
}
