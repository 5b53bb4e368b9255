// Hash routes and search queries of the explorer, as pure functions (no DOM) so they are unit-tested
// in Node: "#/block/<height|id>", "#/tx/<id>", "#/account/<kc1…>", and the list views.
export const VIEW_SECTIONS = {
  home: 'view-home', block: 'block-view', tx: 'tx-view', account: 'account-view', mempool: 'mempool', peers: 'peers',
  forks: 'forks', dht: 'dht', lookups: 'lookups', propagation: 'propagation', notfound: 'notfound-view',
} as const;

export type RouteName = keyof typeof VIEW_SECTIONS;
export interface Route {
  name: RouteName;
  arg: string;
}

const NEEDS_ARG = new Set<RouteName>(['block', 'tx', 'account']);

/** The route of a location hash; plain in-page anchors (the skip link) keep `current`. */
export function parseRoute(hash: string, current: Route): Route {
  if (hash && !hash.startsWith('#/')) return current;
  const parts = hash.replace(/^#\/?/, '').split('/');
  const name = parts[0] || 'home';
  let arg = parts.slice(1).join('/');
  try {
    arg = decodeURIComponent(arg);
  } catch {
    return { name: 'notfound', arg };
  }
  if (!Object.hasOwn(VIEW_SECTIONS, name)) return { name: 'notfound', arg };
  const known = name as RouteName;
  if (NEEDS_ARG.has(known) && !arg) return { name: 'notfound', arg };
  return { name: known, arg };
}

export function routeTitle(r: Route, short: (s: string) => string): string {
  const head = r.name === 'home' ? 'Overview' : r.name.charAt(0).toUpperCase() + r.name.slice(1) + (r.arg ? ` ${short(r.arg)}` : '');
  return `${head} · kadchain explorer`;
}

/** What a search box entry means: a route to open, a 64-hex id to resolve (block, else tx), or a hint. */
export type SearchResult = { go: string } | { resolveId: string } | { error: string };

export function classifySearch(q: string): SearchResult | null {
  q = q.trim();
  if (!q) return null;
  if (/^\d+$/.test(q)) return { go: `#/block/${q}` };
  if (/^kc1[0-9a-z]+$/i.test(q)) return { go: `#/account/${q.toLowerCase()}` };
  if (/^[0-9a-f]{64}$/i.test(q)) return { resolveId: q.toLowerCase() };
  return { error: 'Enter a block height, a 64-hex-digit block or transaction id, or a kc1… address.' };
}
