// Node ids: 256-bit SHA-256 of the node's public key (Kademlia key space).
import { sha256, toHex } from './hash.js';

export const NODE_ID_BYTES = 32;

export function nodeIdFromPublicKey(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) throw new TypeError(`expected 32-byte public key, got ${publicKey.length}`);
  return sha256(publicKey);
}

export function nodeIdHex(publicKey: Uint8Array): string {
  return toHex(nodeIdFromPublicKey(publicKey));
}
