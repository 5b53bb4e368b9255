// Addresses: first 20 bytes of SHA-256(public key), written as bech32m with prefix "kc"
// ("kc1..."): its checksum makes a one-character typo fail to parse instead of paying a stranger.
import { bech32m } from '@scure/base';
import { sha256, toHex } from '../crypto/index.js';
import { DecodeError } from './errors.js';

export const ADDRESS_BYTES = 20;
export const ADDRESS_HRP = 'kc';

export function addressFromPublicKey(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) throw new TypeError(`expected 32-byte public key, got ${publicKey.length}`);
  return sha256(publicKey).slice(0, ADDRESS_BYTES);
}

export function encodeAddress(address: Uint8Array): string {
  if (address.length !== ADDRESS_BYTES) throw new TypeError(`expected ${ADDRESS_BYTES}-byte address, got ${address.length}`);
  return bech32m.encode(ADDRESS_HRP, bech32m.toWords(address));
}

export function parseAddress(text: unknown): Uint8Array {
  if (typeof text !== 'string' || text.length > 90) throw new DecodeError('bad-address', `expected a kc1... address, got ${JSON.stringify(text)?.slice(0, 100)}`);
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32m.decode(text as `${string}1${string}`);
  } catch (e) {
    throw new DecodeError('bad-address', `invalid address ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
  if (decoded.prefix !== ADDRESS_HRP) throw new DecodeError('bad-address', `expected address prefix "${ADDRESS_HRP}", got "${decoded.prefix}"`);
  let bytes: Uint8Array;
  try {
    bytes = bech32m.fromWords(decoded.words);
  } catch (e) {
    throw new DecodeError('bad-address', `invalid address ${JSON.stringify(text)}: ${(e as Error).message}`);
  }
  if (bytes.length !== ADDRESS_BYTES) throw new DecodeError('bad-address', `expected ${ADDRESS_BYTES}-byte address, got ${bytes.length}`);
  return bytes;
}

/** Map key for an address (hex, lowercase). */
export function addressKey(address: Uint8Array): string {
  return toHex(address);
}
