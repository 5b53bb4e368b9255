// crypto/: hashing (SHA-256 via @noble/hashes), Ed25519 (node:crypto; libsodium for discovery's
// datagrams, never for consensus, inline or batched on worker threads) and node ids. No I/O.
export { sha256, sha256d, Sha256Midstate, toHex, fromHex, bytesEqual, bytesToBigInt, bigIntToBytes } from './hash.js';
export {
  generateKeyPair, keyPairFromSecret, publicKeyFromSecret, signMessage, verifySignature, type KeyPair,
} from './ed25519.js';
export { datagramSigningKey, signDatagram, verifyDatagram } from './datagram-sign.js';
export { DatagramCryptoPool, processDatagramPool, type DatagramPoolOptions, type DatagramPoolStats } from './datagram-pool.js';
export { nodeIdFromPublicKey, nodeIdHex, NODE_ID_BYTES } from './ids.js';
