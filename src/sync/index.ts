// sync/: headers-first, multi-peer block download. Owns the header tree, the download window and
// sync progress; moves bodies into the chain in order. Imports p2p, chain, store, core, crypto.
export { SyncService, MAX_BLOCK_INV_ITEMS, type SyncOptions, type SyncEvents, type SyncStats } from './sync.js';
export { SyncError, type SyncReason } from './errors.js';
export { HeaderTree, type HeaderNode } from './header-tree.js';
export { DownloadWindow, DEFAULT_WINDOW_OPTIONS, type WindowOptions, type PeerLoad } from './window.js';
export { RateMeter, type SyncProgress } from './progress.js';
