// node/: the composition root: config, node key, lifecycle, gossip handlers and sync.
export { startNode, loadGenesis, defaultGenesisPath, parseHostPort, type NodeOptions, type RunningNode } from './node.js';
export { Gossip, PENALTY, type GossipStats, type GossipEvents } from './gossip.js';
export { loadOrCreateNodeKey, NODE_KEY_FILE } from './node-key.js';
export { LevelTablePersistence, LevelBanStore } from './persistence.js';
export { NodeHealth, DEFAULT_FREE_SPACE_FLOOR, DEFAULT_HEALTH_CHECK_MS, type HealthProblem, type HealthOptions } from './health.js';
export { checkStore, reindexStore } from './maintenance.js';
