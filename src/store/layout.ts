// Every LevelDB key of a data dir, in one table (bcoin's layout.js). Keys and values are raw bytes;
// heights are big-endian u32 so `main` iterates in height order.
//
//   sublevel  key                      value
//   --------  -----------------------  ---------------------------------------------------------
//   meta      "schema"                 u32 schema version
//   meta      "genesis"                genesis block id (32)
//   meta      "tip"                    id of the connected tip (32)
//   meta      "reorg"                  id a multi-step reorg is heading for (32); absent when none
//   meta      "verified"               VerifiedMark: height u32 BE + block id (32); heights 0..height
//                                      were walked whole and not rewritten since (absent = walk all)
//   meta      "damaged"                u32 lowest main-chain height a read found damaged since the
//                                      last whole walk; the next start checks from there
//   meta      "txindex"                ChainPoint: height u32 BE + block id (32): `txs` holds the rows
//                                      of main-chain blocks 0..height (absent in a dir from before
//                                      the background tx index: there rows came with each block)
//   blocks    block id (32)            canonical block bytes
//   index     block id (32)            IndexRecord: height, parent, timestamp, target, cumulative work, status
//   headers   block id (32)            HeaderRecord: the block's canonical 116-byte header, written in
//                                      the block's own batch and kept when its body is pruned (Core's
//                                      block index holds every header): getheaders reads these, never
//                                      bodies. Absent for blocks written before it: reads fall back to
//                                      the body (no schema change: an older build ignores the sublevel)
//   main      height (u32 BE)          block id on the main chain
//   accounts  address (20)             AccountRecord: balance u64, nonce u64 (absent = empty)
//   undo      block id (32)            UndoRecord: prior AccountRecord of every touched address
//   txs       tx id (32)               TxLocation: block id + position (main chain only; written by
//                                      the tx indexer after the block's own batch, see meta "txindex")
//   side      height (u32 BE) ++ id    empty: a side-branch body stored at that height (pruning's
//                                      to-do list, oldest first; a stale entry for a block that
//                                      went main is dropped when reached)
//   peers     node id (32)             opaque Kademlia peer record (kad's codec)
//   bans      address string (utf8)    ban expiry, u64 ms
/** 2: index records may end with the body checksum (IndexRecord.bodyCrc); schema-1 dirs read as they are. */
export const SCHEMA_VERSION = 2;

export const SUBLEVELS = ['meta', 'blocks', 'index', 'headers', 'main', 'accounts', 'undo', 'txs', 'side', 'peers', 'bans'] as const;
export type SublevelName = (typeof SUBLEVELS)[number];

const enc = new TextEncoder();
export const META_SCHEMA = enc.encode('schema');
export const META_GENESIS = enc.encode('genesis');
export const META_TIP = enc.encode('tip');
export const META_REORG = enc.encode('reorg');
export const META_VERIFIED = enc.encode('verified');
export const META_DAMAGED = enc.encode('damaged');
export const META_TX_INDEX = enc.encode('txindex');

export function heightKey(height: number): Uint8Array {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, height);
  return k;
}

export function heightFromKey(key: Uint8Array): number {
  return new DataView(key.buffer, key.byteOffset, key.byteLength).getUint32(0);
}

/** Key of a side-branch body in `side`: height first, so iteration runs oldest first. */
export function sideKey(height: number, id: Uint8Array): Uint8Array {
  const k = new Uint8Array(4 + id.length);
  new DataView(k.buffer).setUint32(0, height);
  k.set(id, 4);
  return k;
}
