// Transaction rules: stateless checks (chain id, amount, size, signature) and the state check
// against the sender's account. Shared by block validation and the mempool.
import { txSigningBytes, txSender, addressKey, RuleError, MAX_AMOUNT, type TransferTx } from '../core/index.js';
import { bytesEqual, verifySignature } from '../crypto/index.js';

export interface Account {
  balance: bigint;
  /** Next nonce this account must use = count of its transfers on the main chain. */
  nonce: bigint;
}

export const EMPTY_ACCOUNT: Readonly<Account> = Object.freeze({ balance: 0n, nonce: 0n });

/** Everything checkable without state; the signature (the expensive part) last. */
export function checkTransferStateless(tx: TransferTx, chainId: Uint8Array, signatureChecked = false): void {
  // Signed for this chain (replay protection across networks).
  if (!bytesEqual(tx.chainId, chainId)) throw new RuleError('bad-chain-id', 'transaction is for another chain');
  // Moves something: zero-amount transfers would only spam.
  if (tx.amount <= 0n) throw new RuleError('bad-amount', `expected amount > 0, got ${tx.amount}`);
  // amount + fee must be representable (fee >= 0 is implied by the unsigned encoding).
  if (tx.amount + tx.fee > MAX_AMOUNT) throw new RuleError('bad-amount', 'amount + fee overflows 2^64-1');
  // The sender's key signed exactly these fields.
  if (!signatureChecked && !verifySignature(txSigningBytes(tx), tx.signature, tx.from)) throw new RuleError('bad-signature', 'signature does not verify');
}

/** The sender can pay and the nonce is the next one. */
export function checkTransferAgainstAccount(tx: TransferTx, sender: Account): void {
  if (tx.nonce !== sender.nonce) throw new RuleError('bad-nonce', `expected nonce ${sender.nonce}, got ${tx.nonce}`, { expected: sender.nonce.toString(), got: tx.nonce.toString() });
  if (sender.balance < tx.amount + tx.fee) {
    throw new RuleError('insufficient-funds', `balance ${sender.balance} < amount ${tx.amount} + fee ${tx.fee}`, { address: addressKey(txSender(tx)) });
  }
}
