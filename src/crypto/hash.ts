// SHA-256 and double SHA-256 over canonical bytes (@noble/hashes), plus hex helpers. A node hashes
// several small messages per transaction (id, merkle leaf and node), so nothing is built per call
// but the 32-byte result: one working hasher restarts from a saved state (the initial one, or a
// tagged hash's midstate with its 64-byte prefix absorbed once), and digests land in its own
// buffer (where @noble builds no DataView over the output) and are copied out.
import { _SHA256 } from '@noble/hashes/sha2.js';

/**
 * @noble's SHA-256 class (same compression, padding and digest code) with the two steps its public
 * face allocates for done in place: restarting from a saved state (`_cloneInto` spreads the state
 * through an array), digesting into given bytes (`digestInto` views the output with a DataView) and
 * reading the state words (an array per digest).
 */
class Sha256State extends _SHA256 {
  /** What `get` hands @noble's digestInto (which reads it at once): one array, not one per digest. */
  private readonly words: [number, number, number, number, number, number, number, number] = [0, 0, 0, 0, 0, 0, 0, 0];

  protected override get(): [number, number, number, number, number, number, number, number] {
    const w = this.words;
    w[0] = this.A;
    w[1] = this.B;
    w[2] = this.C;
    w[3] = this.D;
    w[4] = this.E;
    w[5] = this.F;
    w[6] = this.G;
    w[7] = this.H;
    return w;
  }

  /** Becomes a copy of `from`, which must hold whole blocks only (nothing buffered). */
  restartFrom(from: Sha256State): this {
    this.A = from.A;
    this.B = from.B;
    this.C = from.C;
    this.D = from.D;
    this.E = from.E;
    this.F = from.F;
    this.G = from.G;
    this.H = from.H;
    this.length = from.length;
    this.pos = 0;
    this.finished = false;
    this.destroyed = false;
    return this;
  }

  /** Finishes the hash into out[at..at+32). */
  digestTo(out: Uint8Array, at = 0): Uint8Array {
    const own = this.buffer;
    this.digestInto(own);
    for (let i = 0; i < 32; i++) out[at + i] = own[i]!;
    return out;
  }

  /**
   * update(src[at..at+len)) for input that fits the current block (a tagged hash's 32 or 64
   * bytes): copied into the block buffer and compressed by @noble's `process` when full, with no
   * view made of the input.
   */
  absorb(src: Uint8Array, at: number, len: number): this {
    if (this.pos + len > this.blockLen || at + len > src.length) throw new RangeError(`absorb: ${len} bytes at ${at} do not fit`);
    const own = this.buffer;
    for (let i = 0; i < len; i++) own[this.pos + i] = src[at + i]!;
    this.pos += len;
    this.length += len;
    if (this.pos === this.blockLen) {
      this.process(this.view, 0);
      this.pos = 0;
      this.roundClean();
    }
    return this;
  }

  /** True when no partial block is buffered: a valid state to restart from. */
  get aligned(): boolean {
    return this.pos === 0;
  }
}

/** The initial state, never updated: every plain hash starts as a copy of it. */
const FRESH = new Sha256State();
/** The one working hasher (a thread runs one hash at a time; each worker has its own module). */
const scratch = new Sha256State();
/** sha256d's inner digest: consumed by the outer hash at once, never handed out. */
const inner = new Uint8Array(32);

export function sha256(data: Uint8Array): Uint8Array {
  return scratch.restartFrom(FRESH).update(data).digestTo(new Uint8Array(32));
}

/** Block and transaction ids: SHA-256(SHA-256(bytes)), as Bitcoin does. */
export function sha256d(data: Uint8Array): Uint8Array {
  scratch.restartFrom(FRESH).update(data).digestTo(inner);
  return scratch.restartFrom(FRESH).update(inner).digestTo(new Uint8Array(32));
}

/** SHA-256 of `prefix || data` with the prefix (whole 64-byte blocks) absorbed once, up front. */
export class Sha256Midstate {
  private readonly state = new Sha256State();

  constructor(prefix: Uint8Array) {
    if (prefix.length === 0 || prefix.length % 64 !== 0) throw new RangeError(`expected a prefix of whole 64-byte blocks, got ${prefix.length} bytes`);
    this.state.update(prefix);
    if (!this.state.aligned) throw new Error('midstate holds a partial block');
  }

  /**
   * SHA-256(prefix || src[at..at+len)) into out[outAt..outAt+32), for len <= 64 (merkle leaves and
   * nodes hashed within one buffer: no array per hash). The input is read before the output is
   * written, so the two may overlap.
   */
  hashInto(src: Uint8Array, at: number, len: number, out: Uint8Array, outAt: number): void {
    scratch.restartFrom(this.state).absorb(src, at, len).digestTo(out, outAt);
  }

  /** SHA-256(prefix || a || b). */
  hash(a: Uint8Array, b?: Uint8Array): Uint8Array {
    scratch.restartFrom(this.state).update(a);
    if (b) scratch.update(b);
    return scratch.digestTo(new Uint8Array(32));
  }
}

/** Small inputs (ids, keys, addresses) are formatted from one scratch Buffer: no Buffer object per call. */
const HEX_SCRATCH = Buffer.alloc(64);

export function toHex(bytes: Uint8Array): string {
  if (bytes.length > HEX_SCRATCH.length) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
  HEX_SCRATCH.set(bytes);
  return HEX_SCRATCH.toString('hex', 0, bytes.length);
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
