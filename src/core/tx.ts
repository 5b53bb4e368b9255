// Transactions (account model): the canonical binary form, ids, signing bytes, and the JSON form
// used by the API. Two kinds share one envelope: a signed transfer, and the block's coinbase.
import { sha256d, signMessage, toHex, fromHex, publicKeyFromSecret, bytesEqual } from '../crypto/index.js';
import { ByteReader, ByteWriter, checkU64 } from './codec.js';
import { DecodeError, EncodeError } from './errors.js';
import { ADDRESS_BYTES, addressFromPublicKey, encodeAddress, parseAddress } from './address.js';
import { parseUnits } from './amount.js';

export const TX_VERSION = 1;
export const TX_KIND_TRANSFER = 0;
export const TX_KIND_COINBASE = 1;
/** Coinbase free-form bytes (miner tag); bounded so a coinbase cannot bloat a block. */
export const MAX_COINBASE_EXTRA = 64;
export const TRANSFER_BYTES = 1 + 1 + 32 + 32 + ADDRESS_BYTES + 8 + 8 + 8 + 64;
/** Where a transfer's `from` key starts in its canonical bytes (after version, kind, chain id). */
export const TRANSFER_FROM_OFFSET = 1 + 1 + 32;
/** Where its signature starts: the bytes before it are exactly what the signature covers. */
export const TRANSFER_SIGNATURE_OFFSET = TRANSFER_BYTES - 64;
/** Policy and consensus ceiling for any encoded tx (DESIGN: max tx 16 KiB). */
export const MAX_TX_BYTES = 16 * 1024;

export interface TransferTx {
  readonly kind: 'transfer';
  /** Genesis block id: a signature is valid on one chain only. */
  readonly chainId: Uint8Array;
  readonly from: Uint8Array; // 32-byte Ed25519 public key
  readonly to: Uint8Array; // 20-byte address
  readonly amount: bigint;
  readonly fee: bigint;
  readonly nonce: bigint;
  readonly signature: Uint8Array; // 64 bytes
}

export interface CoinbaseTx {
  readonly kind: 'coinbase';
  /** The block height: makes every coinbase id unique (BIP34's lesson). */
  readonly height: number;
  readonly to: Uint8Array;
  readonly amount: bigint;
  /** Rolled by the miner when the header nonce space is exhausted. */
  readonly extraNonce: bigint;
  readonly extraData: Uint8Array;
}

export type Tx = TransferTx | CoinbaseTx;

function writeTransferBody(w: ByteWriter, tx: Omit<TransferTx, 'signature' | 'kind'>): void {
  w.u8(TX_VERSION).u8(TX_KIND_TRANSFER).fixed(tx.chainId, 32).fixed(tx.from, 32).fixed(tx.to, ADDRESS_BYTES).u64(tx.amount).u64(tx.fee).u64(tx.nonce);
}

/** What a transfer's signature covers: every field but the signature, chain id included. */
export function txSigningBytes(tx: Omit<TransferTx, 'signature' | 'kind'>): Uint8Array {
  const w = new ByteWriter(TRANSFER_BYTES);
  writeTransferBody(w, tx);
  return w.finish();
}

export function encodeTx(tx: Tx): Uint8Array {
  const raw = derivedCache.get(tx)?.raw;
  if (raw) return raw.slice();
  const w = new ByteWriter(tx.kind === 'transfer' ? TRANSFER_BYTES : 128);
  if (tx.kind === 'transfer') {
    writeTransferBody(w, tx);
    w.fixed(tx.signature, 64);
  } else {
    if (tx.extraData.length > MAX_COINBASE_EXTRA) throw new RangeError(`expected coinbase extraData <= ${MAX_COINBASE_EXTRA} bytes, got ${tx.extraData.length}`);
    w.u8(TX_VERSION).u8(TX_KIND_COINBASE).u32(tx.height).fixed(tx.to, ADDRESS_BYTES).u64(tx.amount).u64(tx.extraNonce).varBytes16(tx.extraData);
  }
  return w.finish();
}

function readTx(r: ByteReader): Tx {
  const version = r.u8();
  if (version !== TX_VERSION) throw new DecodeError('unknown-version', `tx: expected version ${TX_VERSION}, got ${version}`);
  const kind = r.u8();
  if (kind === TX_KIND_TRANSFER) {
    return {
      kind: 'transfer',
      chainId: r.borrow(32),
      from: r.borrow(32),
      to: r.borrow(ADDRESS_BYTES),
      amount: r.u64(),
      fee: r.u64(),
      nonce: r.u64(),
      signature: r.borrow(64),
    };
  }
  if (kind === TX_KIND_COINBASE) {
    return { kind: 'coinbase', height: r.u32(), to: r.borrow(ADDRESS_BYTES), amount: r.u64(), extraNonce: r.u64(), extraData: r.borrow(r.u16Len(MAX_COINBASE_EXTRA)) };
  }
  throw new DecodeError('bad-kind', `tx: expected kind 0 or 1, got ${kind}`);
}

/**
 * What is derived from a tx object, computed once each: its canonical bytes (kept from decoding),
 * id, hex id, sender and keys. One record per tx in one WeakMap (each WeakMap entry costs the
 * garbage collector an ephemeron: one per tx, not one per derived value).
 */
interface Derived {
  raw?: Uint8Array;
  id?: Uint8Array;
  idHex?: string;
  sender?: { address: Uint8Array; key: string };
  recipientKey?: string;
}
const derivedCache = new WeakMap<Tx, Derived>();
/**
 * A decoded tx carries its record on itself, in a non-enumerable slot set before it is frozen (so
 * spreads, clones and deep-equality never see or copy it): no WeakMap lookup per question, and
 * no ephemeron per tx for the garbage collector to trace while a block is synced. Txs built
 * elsewhere use the WeakMap.
 */
const DERIVED = Symbol('derived');
type WithDerived = { readonly [DERIVED]?: Derived };

function derived(tx: Tx): Derived {
  const own = (tx as WithDerived)[DERIVED];
  if (own) return own;
  let d = derivedCache.get(tx);
  if (!d) {
    d = {};
    derivedCache.set(tx, d);
  }
  return d;
}

export function decodeTx(bytes: Uint8Array): Tx {
  if (bytes.length > MAX_TX_BYTES) throw new DecodeError('oversize', `tx: expected at most ${MAX_TX_BYTES} bytes, got ${bytes.length}`);
  // A copy the tx owns (not `bytes.slice()`: on a Buffer that is a view).
  return decodeOwnedTx(new Uint8Array(bytes));
}

/**
 * Decodes bytes nobody else writes to (decodeTx's copy, or a view into decodeBlock's copy of the
 * block). The tx's byte fields are views into them and the object is frozen, so the remembered
 * encoding always equals the fields: a field changed in place changes the bytes with it, and no
 * field can be swapped out.
 */
function decodeOwnedTx(raw: Uint8Array): Tx {
  const r = new ByteReader(raw, 'tx');
  const tx = readTx(r);
  r.end();
  return owning(tx, raw);
}

/** decodeOwnedTx for the next `len` bytes of a block's reader (over decodeBlock's own copy). */
export function readOwnedTx(r: ByteReader, len: number): Tx {
  const start = r.beginSpan(len, 'tx');
  const tx = readTx(r);
  return owning(tx, r.endSpan(start));
}

function owning(tx: Tx, raw: Uint8Array): Tx {
  Object.defineProperty(tx, DERIVED, { value: { raw } satisfies Derived });
  return Object.freeze(tx);
}

/**
 * The canonical bytes of a tx, without copying when it was decoded here. Read-only: callers that
 * may change the bytes use encodeTx, which always returns a fresh array.
 */
export function txBytes(tx: Tx): Uint8Array {
  return ((tx as WithDerived)[DERIVED] ?? derivedCache.get(tx))?.raw ?? encodeTx(tx);
}

// Txs are immutable once built (readonly fields), so an id is computed once per object: block
// rules, the merkle root, the tx index and the mempool all ask for it.
export function txId(tx: Tx): Uint8Array {
  const d = derived(tx);
  return (d.id ??= sha256d(d.raw ?? encodeTx(tx)));
}

// The hex form keys the signature cache, the duplicate check and the tx index: formatted once too.
export function txIdHex(tx: Tx): string {
  const d = derived(tx);
  return (d.idHex ??= toHex(d.id ??= sha256d(d.raw ?? encodeTx(tx))));
}

export function txSize(tx: Tx): number {
  return tx.kind === 'transfer' ? TRANSFER_BYTES : 1 + 1 + 4 + ADDRESS_BYTES + 8 + 8 + 2 + tx.extraData.length;
}

// Connecting a block asks for each sender's address several times (touched accounts, the state
// change, the mempool's eviction): hashed once per tx object, like its id; and a sender's address
// is remembered by key (bounded), since one key sends many transfers.
const senderByKey = new Map<string, { address: Uint8Array; key: string }>();
const MAX_REMEMBERED_SENDERS = 4096;

function sender(tx: TransferTx): { address: Uint8Array; key: string } {
  const d = derived(tx);
  let s = d.sender;
  if (!s) {
    const pubHex = toHex(tx.from);
    s = senderByKey.get(pubHex);
    if (!s) {
      const address = addressFromPublicKey(tx.from);
      s = { address, key: toHex(address) };
      if (senderByKey.size >= MAX_REMEMBERED_SENDERS) senderByKey.delete(senderByKey.keys().next().value!);
      senderByKey.set(pubHex, s);
    }
    d.sender = s;
  }
  return s;
}

/** Sender address of a transfer. */
export function txSender(tx: TransferTx): Uint8Array {
  return sender(tx).address.slice();
}

/** Sender address of a transfer as an account map key (hex, as addressKey). */
export function txSenderKey(tx: TransferTx): string {
  return sender(tx).key;
}

/** Recipient address of a tx as an account map key (hex, as addressKey), formatted once per tx. */
export function txRecipientKey(tx: Tx): string {
  const d = derived(tx);
  return (d.recipientKey ??= toHex(tx.to));
}

function checkBytes(v: unknown, len: number, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) throw new EncodeError('bad-type', `${what}: expected ${len} bytes, got ${typeof v}`);
  if (v.length !== len) throw new EncodeError('bad-length', `${what}: expected ${len} bytes, got ${v.length}`);
  return v;
}

/**
 * Signs a transfer after checking every field, so that nothing the caller got from a node or a
 * user can wrap, truncate or pair the signature with another key: lengths, u64 ranges and that
 * `from` is the public key of `secretKey`. (amount > 0 is a consensus rule, left to chain's checks
 * so that tests can still sign a transfer that the rules must refuse.)
 */
export function signTransfer(fields: Omit<TransferTx, 'signature' | 'kind'>, secretKey: Uint8Array): TransferTx {
  const tx = {
    chainId: checkBytes(fields.chainId, 32, 'tx.chainId'),
    from: checkBytes(fields.from, 32, 'tx.from'),
    to: checkBytes(fields.to, ADDRESS_BYTES, 'tx.to'),
    amount: checkU64(fields.amount, 'tx.amount'),
    fee: checkU64(fields.fee, 'tx.fee'),
    nonce: checkU64(fields.nonce, 'tx.nonce'),
  };
  checkBytes(secretKey, 32, 'secret key');
  if (!bytesEqual(publicKeyFromSecret(secretKey), tx.from)) throw new EncodeError('key-mismatch', 'tx.from: not the public key of the signing key');
  const signature = signMessage(txSigningBytes(tx), secretKey);
  return { kind: 'transfer', ...tx, signature };
}

// ---- JSON form (API and files only; never hashed) ----

export interface TransferTxJson {
  kind: 'transfer';
  chainId: string;
  from: string;
  to: string;
  amount: string;
  fee: string;
  nonce: string;
  signature: string;
}
export interface CoinbaseTxJson {
  kind: 'coinbase';
  height: number;
  to: string;
  amount: string;
  extraNonce: string;
  extraData: string;
}
export type TxJson = TransferTxJson | CoinbaseTxJson;

export function txToJson(tx: Tx): TxJson {
  if (tx.kind === 'transfer') {
    return { kind: 'transfer', chainId: toHex(tx.chainId), from: toHex(tx.from), to: encodeAddress(tx.to), amount: tx.amount.toString(), fee: tx.fee.toString(), nonce: tx.nonce.toString(), signature: toHex(tx.signature) };
  }
  return { kind: 'coinbase', height: tx.height, to: encodeAddress(tx.to), amount: tx.amount.toString(), extraNonce: tx.extraNonce.toString(), extraData: toHex(tx.extraData) };
}

function hexField(obj: Record<string, unknown>, name: string, bytes: number): Uint8Array {
  const v = obj[name];
  try {
    return fromHex(v as string, bytes);
  } catch {
    throw new DecodeError('malformed', `tx.${name}: expected ${bytes} bytes of hex, got ${JSON.stringify(v)?.slice(0, 80)}`);
  }
}

/** Parse a signed transfer from API JSON; strict: unknown kinds and wrong types are refused. */
export function transferFromJson(input: unknown): TransferTx {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new DecodeError('malformed', 'tx: expected a JSON object');
  const o = input as Record<string, unknown>;
  if (o.kind !== undefined && o.kind !== 'transfer') throw new DecodeError('bad-kind', `tx.kind: expected "transfer", got ${JSON.stringify(o.kind)}`);
  const nonceText = typeof o.nonce === 'number' && Number.isSafeInteger(o.nonce) ? String(o.nonce) : o.nonce;
  return {
    kind: 'transfer',
    chainId: hexField(o, 'chainId', 32),
    from: hexField(o, 'from', 32),
    to: parseAddress(o.to),
    amount: parseUnits(o.amount),
    fee: parseUnits(o.fee),
    nonce: parseUnits(nonceText),
    signature: hexField(o, 'signature', 64),
  };
}
