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
/** A section that runs longer than this is reported as an error (with what the process waits on) and the next one runs. */
const SECTION_MAX_MS = Number(process.env.BENCH_SECTION_MAX_MS ?? 15 * 60_000);

function bounded<T>(name: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const cap = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      process.stderr.write(`bench: ${name} still running after ${SECTION_MAX_MS} ms; waiting on: ${process.getActiveResourcesInfo().join(', ')}\n`);
      reject(new Error(`section did not finish within ${SECTION_MAX_MS} ms`));
    }, SECTION_MAX_MS);
  });
  return Promise.race([p, cap]).finally(() => clearTimeout(timer));
}
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
    Object.assign(out, await bounded(name, run()));
    process.stderr.write(`bench: ${name} done\n`);
  } catch (e) {
    process.stderr.write(`bench: ${name} failed: ${(e as Error).stack ?? String(e)}\n`);
    out[`${name}.error`] = (e as Error).message ?? String(e);
  }
}
console.log(JSON.stringify(out, null, 2));
