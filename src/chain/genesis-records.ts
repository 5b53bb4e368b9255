// The records a data dir starts with (a new dir, or a rebuild from genesis): the genesis block's
// index entry, main-chain entry and tip, the allocations, and the genesis txs' index rows with the
// tx index's tip at genesis.
import { encodeBlock, txId, workForTarget, type Genesis } from '../core/index.js';
import { BlockStatus, type WriteBatch } from '../store/index.js';

/** `withBody`: the genesis block's bytes too (a rebuild keeps the stored ones, and writes its header record again). */
export function putGenesisRecords(batch: WriteBatch, genesis: Genesis, withBody: boolean): WriteBatch {
  const bytes = encodeBlock(genesis.block);
  const h = genesis.block.header;
  const rec = { height: 0, parent: h.prevHash, timestamp: h.timestamp, target: h.target, work: workForTarget(h.target), status: BlockStatus.Stored, size: bytes.length };
  if (withBody) batch.putBlock(genesis.id, bytes, rec);
  else batch.putIndex(genesis.id, rec).putHeader(genesis.id, bytes);
  batch.putMain(0, genesis.id).setTip(genesis.id);
  for (const a of genesis.params.alloc) batch.putAccount(a.address, { balance: a.amount, nonce: 0n });
  for (const [i, tx] of genesis.block.txs.entries()) batch.putTx(txId(tx), { blockId: genesis.id, index: i });
  return batch.setTxIndexTip({ height: 0, id: genesis.id });
}
