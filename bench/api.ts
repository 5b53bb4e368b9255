// API figures (issue 18): the server's RSS while connections pipeline GETs for its largest answers
// (a full 1 MiB block, the mempool, a page of blocks) and never read, and the slowest /api/status
// answer meanwhile. "deep": 3 connections x 1,000 requests (past the per-connection queue);
// "wide": 24 connections x 60 requests (within it, so the gate and the shared answers hold it).
import { startFloodTarget } from '../test/unit/api/pipeline-flood.js';

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
    return out;
  } finally {
    await target.stop();
  }
}
