// store/: the LevelDB data dir: key layout, records, atomic batches, schema and genesis checks,
// checked reads, the integrity walk and write-failure classification.
export { SCHEMA_VERSION, SUBLEVELS, heightKey, heightFromKey, type SublevelName } from './layout.js';
export { BlockStatus, decodeVerifiedMark, encodeHeaderRecord, decodeHeaderRecord, type IndexRecord, type AccountRecord, type UndoEntry, type TxLocation, type VerifiedMark, type ChainPoint } from './records.js';
export { WriteBatch } from './write-batch.js';
export { AccountCache, DEFAULT_ACCOUNT_CACHE_ENTRIES } from './account-cache.js';
export { ChainStore, type OpenStoreOptions, type StoreEvents } from './chain-store.js';
export { StoreError, RECOVERY_HINT, type StoreReason } from './store-error.js';
export type { GenesisRecordMode } from './open-checks.js';
export { verifyStore, recordWalk, DEFAULT_CHECK_DEPTH, MARK_TAIL, type IntegrityReport, type StoreDamage } from './integrity.js';
export { DamageLog, DAMAGE_LOG_CAP, type DamageCounts } from './damage-log.js';
export { classifyWriteError, type WriteFailureKind } from './write-failure.js';
export { blockBytesProblem, headerRecordProblem } from './checked-block.js';
export { MAIN_HEADERS_READ_BYTES, type MainHeader, type MainHeadersRange } from './main-headers.js';
