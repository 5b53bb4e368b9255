// Ed25519 through libsodium (sodium-native) for signatures that are not consensus: discovery signs
// every datagram it sends and checks every one it receives, so their cost bounds lookup latency and
// join time. On this machine OpenSSL 3 (node:crypto) signs in ~30 us and verifies in ~76 us;
// libsodium in ~17 and ~45 (`npm run bench`, verify.datagram*). Consensus (transactions, blocks,
// the wallet) stays on node:crypto alone: two implementations may disagree on crafted edge cases
// (small-order keys, non-canonical encodings), which for a datagram means one packet dropped but for
// a block would split the chain.
import sodium from 'sodium-native';

/** libsodium's 64-byte signing key (seed then public key) from a 32-byte seed: expand once, sign often. */
export function datagramSigningKey(seed: Uint8Array): Uint8Array {
  if (seed.length !== 32) throw new TypeError(`expected a 32-byte secret key, got ${seed.length}`);
  const publicKey = new Uint8Array(32);
  const secretKey = new Uint8Array(64);
  sodium.crypto_sign_seed_keypair(publicKey, secretKey, seed);
  return secretKey;
}

/** A detached RFC 8032 signature (byte for byte what node:crypto makes for the same key and message). */
export function signDatagram(message: Uint8Array, signingKey: Uint8Array): Uint8Array {
  if (signingKey.length !== 64) throw new TypeError(`expected a 64-byte signing key, got ${signingKey.length}`);
  const signature = new Uint8Array(64);
  sodium.crypto_sign_detached(signature, message, signingKey);
  return signature;
}

/** Never throws: a malformed key or signature is simply "does not verify". */
export function verifyDatagram(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  return sodium.crypto_sign_verify_detached(signature, message, publicKey);
}
