// node/: the composition root: config, node key, lifecycle, gossip handlers and sync.
export { startNode, loadGenesis, defaultGenesisPath, parseHostPort, type NodeOptions, type RunningNode } from './node.js';
export { Gossip, PENALTY, type GossipStats, type GossipEvents } from './gossip.js';
export { loadOrCreateNodeKey, NODE_KEY_FILE } from './node-key.js';
export { createFileExclusive, ensurePrivateDir, fsyncDir, KeyFileError, SECRET_FILE_MODE, PRIVATE_DIR_MODE, type KeyFileReason } from './key-file.js';
export { LevelTablePersistence, LevelBanStore } from './persistence.js';
