// When a mempool change is worth a new template: only for a material fee gain (a new tip always is).
export type TemplateReason = 'start' | 'tip' | 'mempool' | 'exhausted' | 'refused';

/** True when `next` beats `current` fees by at least `minPercent` percent (any gain over an empty template). */
export function isMaterialGain(current: bigint, next: bigint, minPercent: number): boolean {
  const gain = next - current;
  if (gain <= 0n) return false;
  return gain * 100n >= current * BigInt(Math.max(0, Math.round(minPercent)));
}
