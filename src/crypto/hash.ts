// SHA-256 and double SHA-256 over canonical bytes (@noble/hashes), plus hex helpers. A node hashes
// several small messages per transaction (id, merkle leaf and node), so the hasher object is reused
// rather than built per call, and tagged hashes start from a saved midstate (their 64-byte prefix
// absorbed once): about half the cost per hash, same @noble/hashes compression.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

type Hasher = ReturnType<typeof nobleSha256.create>;

/** The initial state, never updated: every hash starts as a copy of it (or of a midstate). */
const FRESH: Hasher = nobleSha256.create();
/** The one working hasher (a thread runs one hash at a time; each worker has its own module). */
const scratch: Hasher = nobleSha256.create();

function digestFrom(start: Hasher, parts: readonly Uint8Array[]): Uint8Array {
  start._cloneInto(scratch);
  for (const p of parts) scratch.update(p);
  const out = new Uint8Array(32);
  scratch.digestInto(out);
  return out;
}

export function sha256(data: Uint8Array): Uint8Array {
  return digestFrom(FRESH, [data]);
}

/** Block and transaction ids: SHA-256(SHA-256(bytes)), as Bitcoin does. */
export function sha256d(data: Uint8Array): Uint8Array {
  return digestFrom(FRESH, [digestFrom(FRESH, [data])]);
}

/** SHA-256 of `prefix || data` with the prefix (whole 64-byte blocks) absorbed once, up front. */
export class Sha256Midstate {
  private readonly state: Hasher;

  constructor(prefix: Uint8Array) {
    if (prefix.length === 0 || prefix.length % 64 !== 0) throw new RangeError(`expected a prefix of whole 64-byte blocks, got ${prefix.length} bytes`);
    this.state = nobleSha256.create().update(prefix);
  }

  /** SHA-256(prefix || parts[0] || parts[1] ...). */
  hash(...parts: Uint8Array[]): Uint8Array {
    return digestFrom(this.state, parts);
  }
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Strict hex decode: throws on odd length or non-hex characters (Buffer.from would silently truncate). */
export function fromHex(hex: string, expectedBytes?: number): Uint8Array {
  if (typeof hex !== 'string' || !HEX_RE.test(hex)) throw new TypeError(`expected hex string, got ${JSON.stringify(String(hex).slice(0, 80))}`);
  if (expectedBytes !== undefined && hex.length !== expectedBytes * 2) {
    throw new TypeError(`expected ${expectedBytes} bytes of hex, got ${hex.length / 2}`);
  }
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Big-endian bytes to bigint (ids compared against targets as 256-bit integers). */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt('0x' + toHex(bytes));
}

export function bigIntToBytes(value: bigint, length: number): Uint8Array {
  if (value < 0n) throw new RangeError(`expected non-negative bigint, got ${value}`);
  const hex = value.toString(16).padStart(length * 2, '0');
  if (hex.length > length * 2) throw new RangeError(`expected value to fit ${length} bytes, got ${hex.length / 2}`);
  return fromHex(hex);
}
