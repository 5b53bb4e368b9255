// One coded error class per tier: DecodeError (format, from the codec), EncodeError (values the
// codec refuses to write) and RuleError (consensus and policy rules). Each carries a stable
// `reason` string that the API returns and tests name.

/** Format failures found while decoding bytes or parsing user/file input. */
export type DecodeReason =
  | 'truncated'
  | 'trailing-bytes'
  | 'bad-length'
  | 'oversize'
  | 'unknown-version'
  | 'bad-kind'
  | 'bad-address'
  | 'bad-amount-format'
  | 'bad-genesis'
  | 'malformed';

/** Consensus (and policy) rule failures. */
export type RuleReason =
  | 'bad-pow'
  | 'bad-target'
  | 'time-too-old'
  | 'time-too-new'
  | 'bad-merkle'
  | 'bad-coinbase'
  | 'bad-coinbase-amount'
  | 'bad-height'
  | 'bad-prev'
  | 'bad-version'
  | 'bad-signature'
  | 'bad-chain-id'
  | 'bad-nonce'
  | 'bad-amount'
  | 'insufficient-funds'
  | 'balance-overflow'
  | 'duplicate-tx'
  | 'block-too-large'
  | 'tx-too-large';

/** Values that cannot be encoded: a field outside its fixed width, a wrong length, a key that is not the sender's. */
export type EncodeReason = 'out-of-range' | 'bad-length' | 'bad-type' | 'key-mismatch';

export type Reason = DecodeReason | RuleReason | EncodeReason;

export class KadchainError<R extends string = string> extends Error {
  constructor(
    readonly reason: R,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class DecodeError extends KadchainError<DecodeReason> {}

export class RuleError extends KadchainError<RuleReason> {}

/** Thrown by writers and signers before any byte is produced: a value that would wrap or truncate. */
export class EncodeError extends KadchainError<EncodeReason> {}

export function isCodedError(e: unknown): e is KadchainError {
  return e instanceof KadchainError;
}
