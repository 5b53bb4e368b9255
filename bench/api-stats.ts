// API observability costs, each against GET /api/status measured in the same run: /api/stats when
// a new block invalidates its cache every time (the worst case: a 121-entry index walk per call),
// /api/stats cached, and a /metrics scrape. Goal: a fresh /api/stats within 10x of /api/status, so
// a page polling it every few seconds costs the node nothing it would notice.
import { Mempool } from '../src/mempool/index.js';
import { ApiServer } from '../src/api/index.js';
import { buildBlock, testGenesis, EASY_TARGET } from '../test/helpers/fixtures.js';
import { tempDir } from '../test/helpers/cleanup.js';
import { openChainAt } from '../test/helpers/chain-helpers.js';

const CHAIN = 300;
const N = 200;

async function timeGets(url: string, n: number, before?: () => Promise<void>): Promise<number> {
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (before) await before();
    const t0 = process.hrtime.bigint();
    const r = await fetch(url);
    await r.arrayBuffer();
    total += Number(process.hrtime.bigint() - t0) / 1e6;
  }
  return total / n;
}

export async function benchApiStats(): Promise<Record<string, unknown>> {
  const dir = tempDir('kadchain-bench-api-');
  const genesis = testGenesis({ timestamp: Date.now() - 10 * 86_400_000 });
  const chain = await openChainAt(dir.path, genesis);
  const mempool = new Mempool(chain);
  const api = new ApiServer({ chain, mempool, host: '127.0.0.1', port: 0, metrics: true });
  try {
    let ts = Date.now() - (CHAIN + N + 10) * 1000;
    const next = async (): Promise<void> => {
      const t = chain.tip;
      const b = buildBlock({ parent: { id: t.id, height: t.height, timestamp: t.timestamp }, target: EASY_TARGET, params: chain.params, timestamp: (ts += 1000) });
      await chain.submitBlock(b);
    };
    for (let i = 0; i < CHAIN; i++) await next();
    mempool.start();
    await api.start();
    await timeGets(api.url + '/api/status', 20); // warm up
    const status = await timeGets(api.url + '/api/status', N);
    const statsFresh = await timeGets(api.url + '/api/stats', N, next);
    const statsCached = await timeGets(api.url + '/api/stats', N);
    const metrics = await timeGets(api.url + '/metrics', N);
    const r = (x: number): number => Math.round(x * 1000) / 1000;
    // Flat dotted keys at the top level, like every other section's.
    return {
      'api.observability.statusMs': r(status),
      'api.observability.statsFreshMs': r(statsFresh),
      'api.observability.statsCachedMs': r(statsCached),
      'api.observability.metricsMs': r(metrics),
      'api.observability.statsFreshVsStatus': r(statsFresh / status),
      'api.observability.statsCachedVsStatus': r(statsCached / status),
      'api.observability.metricsVsStatus': r(metrics / status),
      'api.observability.goalStatsFreshVsStatus': 10,
    };
  } finally {
    await api.stop();
    mempool.stop();
    await chain.close();
    dir.cleanup();
  }
}
