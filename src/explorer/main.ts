/// <reference lib="dom" />
// Entry module of the explorer's live views (loaded as /explorer/main.js, type="module"): keeps the
// node-computed figures on the overview fresh and renders the DHT, lookup, propagation and reorg
// views while their route is open. The older overview/detail script (explorer.js) owns routing
// and shows and hides the sections; this module only fills the ones it owns.
import { refreshChainStats } from './views/chain-stats.js';
import { showDht } from './views/dht.js';
import { showLookups } from './views/lookups.js';
import { showPropagation } from './views/propagation.js';
import { showReorgs } from './views/reorgs.js';
import { showDifficulty } from './views/difficulty.js';

const REFRESH_MS = 3000;
const VIEWS: Record<string, () => Promise<void>> = { dht: showDht, lookups: showLookups, propagation: showPropagation, forks: async () => void (await Promise.allSettled([showReorgs(), showDifficulty()])) };

function route(): string {
  return location.hash.replace(/^#\/?/, '').split('/')[0] ?? '';
}

let busy = false;
async function refresh(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const view = VIEWS[route()];
    await Promise.allSettled([refreshChainStats(), view ? view() : Promise.resolve()]);
  } finally {
    busy = false;
  }
}

window.addEventListener('hashchange', () => void refresh());
setInterval(() => void refresh(), REFRESH_MS);
void refresh();
