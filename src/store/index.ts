// store/: the LevelDB data dir: key layout, records, atomic batches, schema and genesis checks.
export { SCHEMA_VERSION, SUBLEVELS, heightKey, heightFromKey, type SublevelName } from './layout.js';
export { BlockStatus, type IndexRecord, type AccountRecord, type UndoEntry, type TxLocation } from './records.js';
export { ChainStore, WriteBatch, StoreError, type StoreReason, type OpenStoreOptions } from './chain-store.js';
