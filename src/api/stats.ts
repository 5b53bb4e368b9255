// Chain statistics the node computes so that no page has to: network hash rate from work over a
// window of recent main-chain blocks, mean and median block time over the same window, difficulty
// and the next retarget. Pure functions over index entries; the server feeds them and caches the
// result per tip.
//
// Two kinds of interval are not block times and are left out of every figure:
//  - the genesis interval: the genesis timestamp is fixed in a file long before anyone mines, so
//    the gap to block 1 can be months (the explorer once showed "2 H/s" and a 328-day first point);
//  - a clock restart: a devnet stopped overnight and started again leaves one huge gap. An interval
//    over RESTART_FACTOR times the typical one (the larger of the median and the target spacing) is
//    taken as such; with exponential block times a real one that long has odds of about e^-60.
import type { ChainParams } from '../core/index.js';
import { workForTarget } from '../core/index.js';
import { difficulty } from './views.js';
import type { ChainStatsJson } from './types.js';

export const RESTART_FACTOR = 60;
export const DEFAULT_STATS_WINDOW = 120;

/** One main-chain block as the statistics need it. */
export interface StatsEntry {
  height: number;
  timestamp: number;
  /** Target the block was mined at. */
  target: bigint;
}

export interface ChainStatsInput {
  /** Main-chain entries, oldest first, ending at the tip (the window plus its parent block). */
  entries: StatsEntry[];
  params: Pick<ChainParams, 'targetBlockTimeMs' | 'retargetInterval' | 'maxAdjustment' | 'powLimit'>;
  nextTarget: bigint;
  orphans: number;
  reorgs: number;
  sideTips: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function computeChainStats(inp: ChainStatsInput): ChainStatsJson {
  const { entries, params } = inp;
  const intervals: { ms: number; work: bigint }[] = [];
  let genesisGaps = 0;
  for (let i = 1; i < entries.length; i++) {
    const parent = entries[i - 1]!;
    const child = entries[i]!;
    if (parent.height === 0) {
      genesisGaps++;
      continue;
    }
    intervals.push({ ms: child.timestamp - parent.timestamp, work: workForTarget(child.target) });
  }
  const typical = Math.max(params.targetBlockTimeMs, intervals.length ? median(intervals.map((x) => x.ms)) : 0);
  const counted = intervals.filter((x) => x.ms <= typical * RESTART_FACTOR);
  const restarts = intervals.length - counted.length;

  // Timestamps may step back a little (only median-time-past binds them), so the sum is what
  // counts, as in Bitcoin Core's getnetworkhashps; it is floored at 1 ms.
  const spanMs = counted.reduce((s, x) => s + x.ms, 0);
  const work = counted.reduce((s, x) => s + x.work, 0n);
  const networkHashrate = counted.length ? (Number(work) * 1000) / Math.max(1, spanMs) : 0;
  const mean = counted.length ? spanMs / counted.length : null;
  const med = counted.length ? median(counted.map((x) => x.ms)) : null;

  const tip = entries[entries.length - 1];
  const tipHeight = tip?.height ?? 0;
  const nextHeight = Math.ceil((tipHeight + 1) / params.retargetInterval) * params.retargetInterval;
  let estimatedDifficulty: number | null = null;
  if (mean !== null && mean > 0) {
    const ratio = Math.min(params.maxAdjustment, Math.max(1 / params.maxAdjustment, mean / params.targetBlockTimeMs));
    estimatedDifficulty = Number((difficulty(params.powLimit, inp.nextTarget) / ratio).toPrecision(12));
  }
  const first = entries[0];
  return {
    window: {
      blocks: Math.max(0, entries.length - 1),
      fromHeight: first?.height ?? 0,
      toHeight: tipHeight,
      intervals: counted.length,
      excluded: { genesis: genesisGaps, restarts },
    },
    networkHashrate: Number(networkHashrate.toPrecision(12)),
    meanBlockTimeMs: mean,
    medianBlockTimeMs: med,
    targetBlockTimeMs: params.targetBlockTimeMs,
    difficulty: tip ? difficulty(params.powLimit, tip.target) : 1,
    nextTarget: inp.nextTarget.toString(16).padStart(64, '0'),
    nextDifficulty: difficulty(params.powLimit, inp.nextTarget),
    retarget: { interval: params.retargetInterval, nextHeight, blocksLeft: nextHeight - tipHeight, estimatedDifficulty },
    orphans: inp.orphans,
    reorgs: inp.reorgs,
    sideTips: inp.sideTips,
  };
}
