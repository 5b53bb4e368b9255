// Block body rules (no state): size, coinbase placement, duplicates, merkle root, then each
// transfer's stateless checks with signatures last. And applying a block to an account view.
import {
  blockMerkleRoot, encodeBlock, txId, txIdHex, txSenderKey, txRecipientKey, RuleError, MAX_AMOUNT,
  type Block, type ChainParams, type Tx,
} from '../core/index.js';
import { bytesEqual } from '../crypto/index.js';
import { EMPTY_ACCOUNT, checkTransferAgainstAccount, checkTransferStateless, type Account } from './tx-rules.js';
import { blockReward } from './pow.js';

/** `signaturesChecked`: the caller already verified every transfer signature (in parallel). */
export function checkBlockBody(block: Block, params: Pick<ChainParams, 'maxBlockBytes'>, chainId: Uint8Array, encodedSize = encodeBlock(block).length, signaturesChecked = false): Uint8Array[] {
  // The header commits to exactly these transactions. First, so every later failure is a fault of
  // the block itself and not of a body swapped under an honest header.
  if (!bytesEqual(blockMerkleRoot(block.txs), block.header.merkleRoot)) throw new RuleError('bad-merkle', 'merkle root does not match transactions');
  // Bounded size.
  if (encodedSize > params.maxBlockBytes) throw new RuleError('block-too-large', `expected at most ${params.maxBlockBytes} bytes, got ${encodedSize}`);
  // Exactly one coinbase, and it comes first.
  const txs = block.txs;
  const first = txs[0];
  if (!first || first.kind !== 'coinbase') throw new RuleError('bad-coinbase', 'first transaction must be the coinbase');
  // Indexed loops over the txs (here and below): a block is checked too rarely for the optimiser to
  // remove a for-of's per-element iterator objects.
  for (let i = 1; i < txs.length; i++) if (txs[i]!.kind === 'coinbase') throw new RuleError('bad-coinbase', 'only the first transaction may be a coinbase');
  // The coinbase carries the block height (unique coinbase ids).
  if (first.height !== block.header.height) throw new RuleError('bad-coinbase', `coinbase height ${first.height} != block height ${block.header.height}`);
  // No transaction twice.
  const ids: Uint8Array[] = new Array(txs.length);
  const seen = new Set<string>();
  for (let i = 0; i < txs.length; i++) {
    const k = txIdHex(txs[i]!);
    if (seen.has(k)) throw new RuleError('duplicate-tx', `transaction ${k} appears twice`, { txId: k });
    seen.add(k);
    ids[i] = txId(txs[i]!);
  }
  // Each transfer on its own (signatures last: they are the expensive part).
  for (let i = 1; i < txs.length; i++) {
    const tx = txs[i]!;
    if (tx.kind === 'transfer') checkTransferStateless(tx, chainId, signaturesChecked);
  }
  return ids;
}

/** Addresses whose accounts applying this block reads or writes. */
export function touchedAddresses(block: Block): string[] {
  const s = new Set<string>();
  const txs = block.txs;
  for (let i = 0; i < txs.length; i++) {
    const tx = txs[i]!;
    s.add(txRecipientKey(tx));
    if (tx.kind === 'transfer') s.add(txSenderKey(tx));
  }
  return [...s];
}

export interface BlockStateChange {
  /** New values of every touched account (address hex -> account). */
  after: Map<string, Account>;
  /** Prior values of the same accounts: the undo record. */
  before: Map<string, Account>;
  fees: bigint;
}

/**
 * Applies a body-checked block to accounts read through `get` (which must know every touched
 * address). Pure: returns the changes and the undo record; writes nothing.
 */
export function applyBlockToState(block: Block, get: (addressHex: string) => Account, params: Pick<ChainParams, 'blockReward' | 'halvingInterval'>): BlockStateChange {
  const after = new Map<string, Account>();
  const before = new Map<string, Account>();
  const read = (k: string): Account => {
    const cur = after.get(k);
    if (cur) return cur;
    const prior = get(k) ?? EMPTY_ACCOUNT;
    before.set(k, prior);
    return prior;
  };
  let fees = 0n;
  for (let i = 1; i < block.txs.length; i++) {
    const tx = block.txs[i]!;
    if (tx.kind !== 'transfer') continue;
    const fromKey = txSenderKey(tx);
    const sender = read(fromKey);
    checkTransferAgainstAccount(tx, sender);
    after.set(fromKey, { balance: sender.balance - tx.amount - tx.fee, nonce: sender.nonce + 1n });
    const toKey = txRecipientKey(tx);
    const recipient = read(toKey);
    if (recipient.balance + tx.amount > MAX_AMOUNT) throw new RuleError('balance-overflow', `recipient balance would exceed 2^64-1`);
    after.set(toKey, { balance: recipient.balance + tx.amount, nonce: recipient.nonce });
    fees += tx.fee;
  }
  const coinbase = block.txs[0];
  if (!coinbase || coinbase.kind !== 'coinbase') throw new RuleError('bad-coinbase', 'first transaction must be the coinbase');
  // The miner takes exactly the subsidy plus the fees: no more (inflation), no less (keeps supply exact).
  const due = blockReward(block.header.height, params) + fees;
  if (coinbase.amount !== due) throw new RuleError('bad-coinbase-amount', `coinbase pays ${coinbase.amount}, expected reward + fees = ${due}`);
  const minerKey = txRecipientKey(coinbase);
  const miner = read(minerKey);
  if (miner.balance + coinbase.amount > MAX_AMOUNT) throw new RuleError('balance-overflow', 'miner balance would exceed 2^64-1');
  after.set(minerKey, { balance: miner.balance + coinbase.amount, nonce: miner.nonce });
  return { after, before, fees };
}
