/// <reference lib="dom" />
// The fork view's tree (#/forks): every block this tab has seen (main chain and side branches,
// including recent branches walked back from /api/tips), the side-branch list, the chain tips table
// and the reorgs this tab saw happen. The log is bounded and kept per genesis in sessionStorage, so
// a reload keeps the history. The node's own reorg history and the difficulty chart are reorgs.ts's
// and difficulty.ts's.
import type { BlockSummaryJson, ChainTipJson, ReorgEventJson } from '../../api/index.js';
import { byId, el, replace, svg } from '../dom.js';
import { short } from '../format.js';
import { getJson } from '../fetch-json.js';
import { blockLink, cell, noteRow, timeCell } from '../links.js';
import { layoutForks, type SeenBlock } from '../fork-layout.js';
import { page, routeIs } from '../state.js';

/** Blocks and reorgs remembered; past the high mark the lowest blocks are dropped. */
const SEEN_HIGH = 600, SEEN_KEEP = 500, REORGS_KEEP = 50;
/** Side branches walked back from /api/tips: at most this long, this many. */
const WALK_MAX = 20, TIPS_LIMIT = 20;

interface TabReorg {
  at: number;
  forkHeight: number;
  disconnected: string[];
  connected: string[];
}

const seen = new Map<string, SeenBlock>();
let reorgs: TabReorg[] = [];
let storeKey: string | null = null;
let saveTimer: ReturnType<typeof setTimeout> | undefined;

export function rememberBlock(b: Pick<BlockSummaryJson, 'id' | 'height' | 'prevHash' | 'timestamp'> & { main?: boolean }, main?: boolean): void {
  const old = seen.get(b.id);
  seen.set(b.id, { id: b.id, height: b.height, prevHash: b.prevHash, timestamp: b.timestamp, main: main ?? old?.main ?? b.main !== false });
}

/** The recent main chain: anything seen at one of its heights under another id is a side block. */
export function markMainChain(recent: BlockSummaryJson[]): void {
  const byHeight = new Map<number, string>();
  for (const b of recent) {
    byHeight.set(b.height, b.id);
    rememberBlock(b, true);
  }
  for (const s of seen.values()) if (byHeight.has(s.height) && byHeight.get(s.height) !== s.id) s.main = false;
  save();
}

/** Loads the log this tab kept for this chain (by genesis id). */
export function loadForkLog(genesis: string): void {
  storeKey = `kadchain-forks:${genesis}`;
  try {
    const raw = sessionStorage.getItem(storeKey);
    if (!raw) return;
    const saved = JSON.parse(raw) as { seen?: Record<string, SeenBlock>; reorgs?: TabReorg[] };
    for (const [k, v] of Object.entries(saved.seen ?? {})) if (!seen.has(k) && typeof v?.height === 'number') seen.set(k, v);
    if (Array.isArray(saved.reorgs) && !reorgs.length) reorgs = saved.reorgs;
  } catch {
    // Storage unavailable or corrupt: start empty.
  }
}

function save(): void {
  if (seen.size > SEEN_HIGH) {
    const byHeight = [...seen.values()].sort((a, b) => a.height - b.height);
    for (const b of byHeight.slice(0, seen.size - SEEN_KEEP)) seen.delete(b.id);
  }
  if (reorgs.length > REORGS_KEEP) reorgs = reorgs.slice(-REORGS_KEEP);
  if (!storeKey || saveTimer) return;
  saveTimer = setTimeout(() => {
    saveTimer = undefined;
    try {
      sessionStorage.setItem(storeKey!, JSON.stringify({ seen: Object.fromEntries(seen), reorgs }));
    } catch {
      // Quota or privacy mode: the log lives for this page only.
    }
  }, 300);
}

async function fetchSeen(id: string, main: boolean): Promise<void> {
  const known = seen.get(id);
  if (known) {
    known.main = main;
    return;
  }
  try {
    rememberBlock(await getJson<BlockSummaryJson>(`/api/blocks/${id}`), main);
  } catch {
    // Gone or unreachable: the tree shows what it has.
  }
}

/** A reorg event from the node: log it, and learn both sides' blocks. */
export async function onReorg(r: ReorgEventJson): Promise<void> {
  reorgs.push({ at: Date.now(), forkHeight: r.forkHeight, disconnected: r.disconnected, connected: r.connected });
  await Promise.all([...r.disconnected.map((id) => fetchSeen(id, false)), ...r.connected.map((id) => fetchSeen(id, true))]);
  save();
  if (routeIs('forks')) renderForks();
}

export function renderForks(): void {
  const box = byId('fork-tree');
  const branches = byId('branches');
  const all = [...seen.values()];
  const tipH = page.status?.height ?? all.reduce((m, b) => Math.max(m, b.height), 0);
  const f = layoutForks(all, tipH);
  renderReorgs();
  if (!f.blocks.length) {
    replace(box, el('p', { class: 'muted' }, 'No blocks seen yet.'));
    replace(branches, el('li', { class: 'muted' }, 'None seen.'));
    return;
  }
  const dx = 34, dy = 40, L = 24, T = 22;
  const W = Math.max(200, L * 2 + (f.maxHeight - f.minHeight) * dx), H = T + f.lanes * dy + 16;
  const byIdMap = new Map(f.blocks.map((b) => [b.id, b]));
  const px = (b: SeenBlock): number => L + (b.height - f.minHeight) * dx;
  const py = (b: SeenBlock): number => T + Math.min(f.lane.get(b.id)!, f.lanes - 1) * dy;
  const s = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'group', 'aria-label': `Block tree from height ${f.minHeight} to ${f.maxHeight}` });
  for (let h = f.minHeight; h <= f.maxHeight; h++) if ((h - f.minHeight) % 5 === 0 || h === f.maxHeight) s.append(svg('text', { x: L + (h - f.minHeight) * dx, y: 12, 'text-anchor': 'middle' }, String(h)));
  for (const b of f.blocks) {
    const p = byIdMap.get(b.prevHash);
    if (p) s.append(svg('line', { class: 'fork-edge', x1: px(p), y1: py(p), x2: px(b), y2: py(b) }));
  }
  for (const b of f.blocks) {
    const tip = page.status?.tip === b.id;
    s.append(svg('a', { href: `#/block/${b.id}`, 'data-testid': 'fork-node', 'data-id': b.id, 'data-main': String(b.main), 'aria-label': `block ${b.height} ${short(b.id)}, ${b.main ? 'main chain' : 'side branch'}` }, [
      svg('title', {}, `height ${b.height} · ${b.id} (${b.main ? 'main' : 'side'})`),
      svg('circle', { class: `fork-node ${b.main ? 'main' : 'side'}${tip ? ' tip' : ''}`, cx: px(b), cy: py(b), r: 9 }),
    ]));
  }
  replace(box, s);
  if (!f.branches.length) return replace(branches, el('li', { class: 'muted', 'data-testid': 'no-branches' }, 'No side branches seen in this window.'));
  replace(branches, f.branches.map((g) =>
    el('li', { 'data-testid': 'branch' }, [
      `Branch off height ${g[0]!.height - 1}, ${g.length} ${g.length === 1 ? 'block' : 'blocks'}: `,
      ...g.flatMap((b, i) => [i ? ', ' : null, blockLink(b.id, `${b.height} ${short(b.id)}`)]),
    ]),
  ));
}

function renderReorgs(): void {
  const body = byId('reorgs');
  if (!reorgs.length) return noteRow(body, 4, 'No reorganisations seen since this tab opened.');
  const ids = (list: string[]): HTMLElement =>
    el('span', {}, [`${list.length}: `, ...list.slice(0, 6).flatMap((id, i) => [i ? ', ' : null, blockLink(id)]), list.length > 6 ? ', …' : null]);
  replace(body, reorgs.slice().reverse().map((r) =>
    el('tr', { 'data-testid': 'reorg-row' }, [cell(timeCell(r.at)), cell(String(r.forkHeight), 'num'), cell(ids(r.disconnected)), cell(ids(r.connected))]),
  ));
}

/** The chain tips table from /api/tips, and each recent side branch walked back into the tree. */
export async function loadTips(): Promise<void> {
  let tips: ChainTipJson[];
  try {
    tips = await getJson<ChainTipJson[]>(`/api/tips?limit=${TIPS_LIMIT}`);
  } catch (e) {
    return noteRow(byId('tips'), 5, e instanceof Error ? e.message : String(e), 'error');
  }
  replace(byId('tips'), tips.map((t) =>
    el('tr', { 'data-testid': 'tip-row', 'data-status': t.status }, [cell(t.status), cell(String(t.height), 'num'), cell(String(t.forkHeight), 'num'), cell(String(t.branchLength), 'num'), cell(blockLink(t.id))]),
  ));
  const tipH = page.status?.height ?? 0;
  await Promise.all(tips.filter((t) => t.status !== 'active' && t.branchLength <= WALK_MAX && t.height > tipH - 200).map((t) => walkBranch(t.id, t.branchLength)));
  save();
  if (routeIs('forks')) renderForks();
}

async function walkBranch(id: string, n: number): Promise<void> {
  for (let cur = id, left = n; left > 0; left--) {
    await fetchSeen(cur, false);
    const b = seen.get(cur);
    if (!b) return;
    cur = b.prevHash;
  }
}
