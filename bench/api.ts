// API figures (issue 18): the server's RSS while connections pipeline GETs for its largest answers
// (a full 1 MiB block, the mempool, a page of blocks) and never read, and the slowest /api/status
// answer meanwhile. "deep": 3 connections x 1,000 requests (past the per-connection queue);
// "wide": 24 connections x 60 requests (within it, so the gate and the shared answers hold it).
// "deepJson": the answer time of a 1 MiB POST /api/txs of nested brackets against a flat 1 MiB
// body that JSON.parse reads whole (the reference: same bytes on the wire, one full parse).
import { performance } from 'node:perf_hooks';
import { startFloodTarget } from '../test/unit/api/pipeline-flood.js';

/** Median answer time (ms) of `runs` POSTs of `body` to /api/txs, one after another. */
async function postMs(port: number, body: string, runs: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = await fetch(`http://127.0.0.1:${port}/api/txs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await r.arrayBuffer();
    if (r.status !== 400) throw new Error(`expected a 400 refusal, got ${r.status}`);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return Math.round(times[runs >> 1]! * 100) / 100;
}

export async function benchApi(): Promise<Record<string, unknown>> {
  const holdMs = Number(process.env.KADCHAIN_BENCH_API_HOLD_MS ?? 8000);
  const target = await startFloodTarget({ blockBytes: 1 << 20, senders: 200, perSender: 12 });
  try {
    const out: Record<string, unknown> = { 'api.flood.fullBlockTxs': target.fullTxs, 'api.flood.mempoolTxs': target.mempool };
    for (const [name, connections, requestsPerConnection] of [['deep', 3, 1000], ['wide', 24, 60]] as const) {
      const r = await target.attack({ connections, requestsPerConnection, holdMs });
      out[`api.flood.${name}.rssBeforeMiB`] = r.rssBeforeMiB;
      out[`api.flood.${name}.rssPeakMiB`] = r.rssPeakMiB;
      out[`api.flood.${name}.rssGrowthMiB`] = r.rssPeakMiB - r.rssBeforeMiB;
      out[`api.flood.${name}.statusMaxMs`] = r.statusMaxMs;
    }
    const size = (1 << 20) - 64;
    const nested = '['.repeat(size >> 1) + ']'.repeat(size >> 1);
    const flat = JSON.stringify({ kind: 'transfer', pad: 'x'.repeat(size - 40) });
    const flatMs = await postMs(target.port, flat, 7);
    const nestedMs = await postMs(target.port, nested, 7);
    out['api.deepJson.flatMs'] = flatMs;
    out['api.deepJson.nestedMs'] = nestedMs;
    out['api.deepJson.ratio'] = Math.round((nestedMs / flatMs) * 100) / 100;
    return out;
  } finally {
    await target.stop();
  }
}
