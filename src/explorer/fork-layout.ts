// Lays out the fork tree (pure; no DOM, unit-tested in Node): the main chain on lane 0, each side
// branch on a lane of its own below, children of a side block continuing their parent's lane.
export interface SeenBlock {
  id: string;
  height: number;
  prevHash: string;
  timestamp: number;
  main: boolean;
}

export interface ForkLayout {
  minHeight: number;
  maxHeight: number;
  blocks: SeenBlock[];
  /** Lane per shown block id (0 = main chain). */
  lane: Map<string, number>;
  lanes: number;
  /** Side blocks grouped by lane, lowest first. */
  branches: SeenBlock[][];
}

/** Lanes drawn at most; deeper ones share the last. */
export const MAX_LANES = 12;

/**
 * The window: the last `span` heights below the tip, reaching back to the fork point of any side
 * block within 200 heights of the tip, so a branch is always drawn from where it left.
 */
export function layoutForks(all: SeenBlock[], tipHeight: number, span = 20): ForkLayout {
  let minHeight = Math.max(0, tipHeight - span);
  for (const b of all) if (!b.main && b.height > tipHeight - 200 && b.height - 1 < minHeight) minHeight = Math.max(0, b.height - 1);
  const blocks = all.filter((b) => b.height >= minHeight);
  const maxHeight = blocks.reduce((m, b) => Math.max(m, b.height), tipHeight);
  const byId = new Map(blocks.map((b) => [b.id, b]));
  const lane = new Map<string, number>();
  const taken = new Set<string>();
  let next = 1;
  for (const b of blocks) if (b.main) lane.set(b.id, 0);
  const side = blocks.filter((b) => !b.main).sort((a, b) => a.height - b.height);
  for (const b of side) {
    const p = byId.get(b.prevHash);
    const pl = p && !p.main ? lane.get(p.id) : undefined;
    // A second child of the same side block starts a lane of its own.
    lane.set(b.id, pl !== undefined && !taken.has(p!.id) ? pl : next++);
    taken.add(b.prevHash);
  }
  const groups = new Map<number, SeenBlock[]>();
  for (const b of side) groups.set(lane.get(b.id)!, [...(groups.get(lane.get(b.id)!) ?? []), b]);
  return { minHeight, maxHeight, blocks, lane, lanes: Math.min(next, MAX_LANES), branches: [...groups.values()] };
}
