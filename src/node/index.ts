// node/: the composition root: config, node key, lifecycle, relay, serving and the penalty table.
export { startNode, loadGenesis, defaultGenesisPath, parseHostPort, type NodeOptions, type RunningNode } from './node.js';
export { Relay, type GossipStats, type RelayEvents } from './relay.js';
export { TxAdmissionBudget, DEFAULT_TX_ADMISSION, type TxAdmissionLimits } from './tx-admission.js';
export { Serving, MAX_GETDATA_BLOCKS, MAX_GETDATA_TXS, DEFAULT_SERVING_BUDGET, type ServingBudget } from './serving.js';
export { penaltyFor, chargePeer, p2pPenalties, type RefusalReason, type RelayReason, type PeerAction } from './penalties.js';
export { loadOrCreateNodeKey, NODE_KEY_FILE } from './node-key.js';
export { createFileExclusive, ensurePrivateDir, fsyncDir, KeyFileError, SECRET_FILE_MODE, PRIVATE_DIR_MODE, type KeyFileReason } from './key-file.js';
export { LevelTablePersistence, LevelBanStore } from './persistence.js';
export { NodeHealth, DEFAULT_FREE_SPACE_FLOOR, DEFAULT_HEALTH_CHECK_MS, type HealthProblem, type HealthOptions } from './health.js';
export { checkStore, reindexStore } from './maintenance.js';
