// API figures: the server's RSS while 3 connections each pipeline 1,000 GETs for its largest
// answers and never read (issue 18), and the slowest /api/status answer meanwhile.
import { pipelineFlood } from '../test/unit/api/pipeline-flood.js';

export async function benchApi(): Promise<Record<string, unknown>> {
  const r = await pipelineFlood({ connections: 3, requestsPerConnection: 1000, holdMs: Number(process.env.KADCHAIN_BENCH_API_HOLD_MS ?? 8000) });
  return {
    'api.pipelineFlood.rssBeforeMiB': r.rssBeforeMiB,
    'api.pipelineFlood.rssPeakMiB': r.rssPeakMiB,
    'api.pipelineFlood.rssGrowthMiB': r.rssPeakMiB - r.rssBeforeMiB,
    'api.pipelineFlood.statusMaxMs': r.statusMaxMs,
    'api.pipelineFlood.fullBlockTxs': r.fullTxs,
    'api.pipelineFlood.mempoolTxs': r.mempool,
  };
}
