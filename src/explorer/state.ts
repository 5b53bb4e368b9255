// The explorer page's shared state: the last status, the recent main-chain blocks, and the open
// route. One page, one state; views read it and the live-event module updates it.
import type { BlockSummaryJson, StatusJson } from '../api/index.js';
import type { Route } from './route.js';

/** Main-chain blocks kept for the overview and its chart. */
export const RECENT = 100;

export interface PageState {
  status: StatusJson | null;
  recent: BlockSummaryJson[];
  route: Route;
}

export const page: PageState = { status: null, recent: [], route: { name: 'home', arg: '' } };

export function routeIs(name: Route['name'], arg?: string): boolean {
  return page.route.name === name && (arg === undefined || page.route.arg === arg);
}

/** A block's difficulty (powLimit / target), scaled from the status' difficulty at its target. */
export function difficultyOf(targetHex: string): number {
  const s = page.status;
  if (!s) return NaN;
  return (s.difficulty * Number(BigInt('0x' + s.target))) / Number(BigInt('0x' + targetHex));
}
