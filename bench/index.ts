// `npm run bench`: every figure in one JSON object, each section measured in the same run as its
// reference. Sections run one after another so they do not compete for the two cores.
import { benchMiner } from './miner.js';
import { benchStore } from './store.js';
import { benchKad } from './kad.js';
import { benchSync } from './sync.js';
import { benchApi } from './api.js';
import { benchApiStats } from './api-stats.js';
import { benchMempool } from './mempool.js';
import { benchGossip } from './gossip.js';
import { benchConnBudget } from './conn-budget.js';
import { benchConnRate } from './conn-rate.js';
import { benchHandshakeFlood } from './handshake-flood.js';
import { benchTxFlood } from './tx-flood.js';
import { benchVerify } from './verify.js';

const only = process.argv[2];
const sections: Record<string, () => Promise<Record<string, unknown>>> = {
  miner: benchMiner,
  store: benchStore,
  kad: benchKad,
  verify: benchVerify,
  sync: benchSync,
  api: benchApi,
  apiStats: benchApiStats,
  mempool: benchMempool,
  gossip: benchGossip,
  connBudget: benchConnBudget,
  connRate: benchConnRate,
  handshakeFlood: benchHandshakeFlood,
  txFlood: benchTxFlood,
};
const out: Record<string, unknown> = {};
for (const [name, run] of Object.entries(sections)) {
  if (only && only !== name) continue;
  process.stderr.write(`bench: ${name}...\n`);
  // One section failing must not cost the figures of the others: its error is a key of its own.
  try {
    Object.assign(out, await run());
  } catch (e) {
    process.stderr.write(`bench: ${name} failed: ${(e as Error).stack ?? String(e)}\n`);
    out[`${name}.error`] = (e as Error).message ?? String(e);
  }
}
console.log(JSON.stringify(out, null, 2));
