// Feeds stats.ts from the chain and caches the result: /api/stats is polled by every open explorer
// page, so it is computed once per tip (a walk of statsWindow index entries, mostly in the chain's
// LRU), and the side-tip count, a scan of the whole block index, at most every SIDE_TIPS_TTL_MS.
import { monotonicNow, targetToBigInt } from '../core/index.js';
import type { Chain } from '../chain/index.js';
import { computeChainStats } from './stats.js';
import type { ReorgLog } from './reorg-log.js';
import type { ChainStatsJson } from './types.js';

export const SIDE_TIPS_TTL_MS = 30_000;

export class StatsService {
  private cache: { key: string; value: Promise<ChainStatsJson> } | undefined;
  private sideTips: { at: number; value: Promise<number> } | undefined;

  constructor(private readonly chain: Chain, private readonly reorgs: ReorgLog, private readonly window: number) {}

  stats(): Promise<ChainStatsJson> {
    const key = `${this.chain.tip.idHex}:${this.chain.orphanCount}:${this.reorgs.total}`;
    if (this.cache?.key !== key) {
      const value = this.compute();
      this.cache = { key, value };
      value.catch(() => {
        if (this.cache?.value === value) this.cache = undefined;
      });
    }
    return this.cache.value;
  }

  private async compute(): Promise<ChainStatsJson> {
    const tip = this.chain.tip;
    const [recent, next, sideTips] = await Promise.all([this.chain.recentEntries(tip.height, this.window + 1), this.chain.nextBlockContext(), this.sideTipCount()]);
    return computeChainStats({
      entries: recent.reverse().map((e) => ({ height: e.height, timestamp: e.timestamp, target: targetToBigInt(e.target) })),
      params: this.chain.params,
      nextTarget: next.target,
      orphans: this.chain.orphanCount,
      reorgs: this.reorgs.total,
      sideTips,
    });
  }

  private sideTipCount(): Promise<number> {
    const now = monotonicNow(); // a cache age: a step back must not keep it for an hour
    if (!this.sideTips || now - this.sideTips.at > SIDE_TIPS_TTL_MS) {
      const value = this.chain.tips(500).then((t) => t.filter((x) => x.status !== 'active').length);
      this.sideTips = { at: now, value };
      value.catch(() => (this.sideTips = undefined));
    }
    return this.sideTips.value;
  }
}
