// core/: canonical codec and types: tx, header, block, address, amount, genesis; and the small shared structures every layer uses (a binary heap, token buckets, the monotonic clock). No I/O.
export { KadchainError, DecodeError, EncodeError, RuleError, isCodedError, type DecodeReason, type EncodeReason, type RuleReason, type Reason } from './errors.js';
export { ByteReader, ByteWriter, U64_MAX, checkUint, checkU64 } from './codec.js';
export { UNITS_PER_COIN, MAX_AMOUNT, parseCoins, formatCoins, parseUnits } from './amount.js';
export { ADDRESS_BYTES, ADDRESS_HRP, addressFromPublicKey, encodeAddress, parseAddress, addressKey } from './address.js';
export {
  TX_VERSION, MAX_TX_BYTES, TRANSFER_BYTES, TRANSFER_FROM_OFFSET, TRANSFER_SIGNATURE_OFFSET, MAX_COINBASE_EXTRA, encodeTx, decodeTx, txBytes, txId, txIdHex, txSize, txSender, txSenderKey, txRecipientKey, txSigningBytes, signTransfer,
  txToJson, transferFromJson, type Tx, type TransferTx, type CoinbaseTx, type TxJson, type TransferTxJson, type CoinbaseTxJson,
} from './tx.js';
export {
  HEADER_VERSION, HEADER_BYTES, NONCE_OFFSET, PREV_OFFSET, MERKLE_OFFSET, TARGET_OFFSET, encodeHeader, decodeHeader, readHeader, headerId, headerIdHex, targetToBigInt, bigIntToTarget, workForTarget,
  type BlockHeader,
} from './header.js';
export { MAX_BLOCK_BYTES_HARD, encodeBlock, blockBytes, decodeBlock, blockId, blockIdHex, merkleRoot, blockMerkleRoot, type Block } from './block.js';
export { WIRE_MAX_PAYLOAD, WIRE_BLOCK_FRAMING, MAX_RELAYABLE_BLOCK_BYTES } from './wire.js';
export { BinaryHeap } from './heap.js';
export { monotonicNow } from './clock.js';
export { KeyedTokenBuckets, refill, type TokenRate, type TokenBucket } from './token-bucket.js';
export { MERKLE_LEAF_TAG, MERKLE_NODE_TAG, merkleLeaf, merkleNode } from './merkle.js';
export { GenesisFileSchema, parseGenesis, buildGenesis, genesisFromJson, encodeParams, paramsToJson, type GenesisFile, type ChainParams, type Genesis, type AllocEntry } from './genesis.js';
