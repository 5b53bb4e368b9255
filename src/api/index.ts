// api/: the HTTP JSON API, the /api/events WebSocket, the explorer page at "/", and a typed client.
//
// Wiring (done by node/): `new ApiServer({ chain, mempool, host, port, allowHosts, logger, view })`, then
// `await api.start()` / `await api.stop()` (both idempotent; stop closes every socket, event
// clients included). `view: NodeView` is all the API knows of the rest of the node:
//
//   peers()      -> { table: kad.tableEntries(), connected: p2p peers' PeerInfo[] }
//   bucketFill() -> kad.bucketFill()                 (optional; else counted from table)
//   mining()     -> { enabled, hashrate, address? }  (miner.enabled, miner.hashrate)
//   syncing()    -> boolean
//   submitTx(tx) -> Promise<AdmitResult>            (admit to the mempool and relay)
//   events       -> EventEmitter emitting 'peer' with PeerEventJson
//
// Every member is optional (defaults: no peers, not mining, not syncing, mempool.add).
export { ApiServer, type ApiServerOptions, type NodeView } from './server.js';
export { DEFAULT_API_LIMITS, type ApiLimits } from './limits.js';
export { EVENT_CLOSE_SLOW_CONSUMER } from './events.js';
export { ApiClient, ApiError, NodeUnreachableError, type ApiClientOptions } from './client.js';
export { computeChainStats, RESTART_FACTOR, DEFAULT_STATS_WINDOW, type StatsEntry, type ChainStatsInput } from './stats.js';
// openapi.ts, schemas.ts and metrics.ts (prom-client) are imported directly where needed, so the
// CLI, which imports this folder for its client, does not load them.
export type { NodeCounters } from './metrics.js';
export { ReorgLog, DEFAULT_REORG_HISTORY } from './reorg-log.js';
export { blockSummary, headerJson, txView, mempoolEntryJson, difficulty } from './views.js';
export type {
  ErrorJson, StatusJson, SyncProgressJson, HealthJson, HeaderJson, TxViewJson, BlockSummaryJson, BlockJson, TxLookupJson, AccountJson, TableEntryJson, ConnectedPeerJson,
  PeersJson, MempoolEntryJson, SubmitTxJson, ApiEvent, ReorgEventJson, PeerEventJson, ChainTipJson, ChainStatsJson, ReorgJson, PropagationJson, LookupJson,
} from './types.js';
