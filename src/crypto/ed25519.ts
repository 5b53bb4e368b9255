// Ed25519 on raw 32-byte keys through node:crypto (native; far faster verify than pure JS).
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

// Raw keys enter node:crypto as JWK (RFC 8037 OKP), not as DER: OpenSSL 3's DER decoders cost
// ~410 us per private and ~87 us per public key on this machine, the JWK path (a raw-key import)
// ~32 and ~8. A process that parses many keys pays it per key: a block's verification per new
// sender. (Discovery's datagrams use libsodium on raw keys: datagram-sign.ts.)
const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

export interface KeyPair {
  /** 32-byte seed */
  secretKey: Uint8Array;
  /** 32-byte raw public key */
  publicKey: Uint8Array;
}

// Parsing a private key costs ~20x a signature; a node signs with one key (handshakes, wallets sign
// with a few), so the keys in use (many in one process in tests and benches) keep their parsed form.
const privCache = new Map<string, KeyObject>();
const PRIV_CACHE_MAX = 1024;

function privateKeyObject(secretKey: Uint8Array): KeyObject {
  if (secretKey.length !== 32) throw new TypeError(`expected 32-byte secret key, got ${secretKey.length}`);
  const k = Buffer.from(secretKey.buffer, secretKey.byteOffset, secretKey.byteLength).toString('base64');
  let obj = privCache.get(k);
  if (!obj) {
    // A private OKP key is read from `d` alone; node requires `x` to be a string and ignores it.
    obj = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: b64url(secretKey), x: '' }, format: 'jwk' });
    if (privCache.size >= PRIV_CACHE_MAX) privCache.clear();
    privCache.set(k, obj);
  }
  return obj;
}

// Verify is hot (every tx of every block); cache the parsed key objects of recent senders.
const pubCache = new Map<string, KeyObject>();
const PUB_CACHE_MAX = 4096;

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const k = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64');
  let obj = pubCache.get(k);
  if (!obj) {
    obj = parsePublicKey(publicKey);
    if (pubCache.size >= PUB_CACHE_MAX) pubCache.clear();
    pubCache.set(k, obj);
  }
  return obj;
}

/** A raw 32-byte public key as node:crypto's key object (throws when it is not one). */
function parsePublicKey(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) throw new TypeError(`expected 32-byte public key, got ${publicKey.length}`);
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey) }, format: 'jwk' });
}

/** The raw bytes of a base64url JWK member that must be 32 bytes long. */
function jwkBytes(value: string | undefined, what: string): Uint8Array {
  const bytes = new Uint8Array(Buffer.from(value ?? '', 'base64url'));
  if (bytes.length !== 32) throw new TypeError(`expected a 32-byte ${what}, got ${bytes.length}`);
  return bytes;
}

/**
 * A fresh key pair: 32 random bytes are an Ed25519 secret key (RFC 8032 5.1.5). Not through
 * generateKeyPairSync: a GC inside the export of a key it made (a JWK export allocates while holding
 * the key's lock) can run the finalizer of the key-generation job, which takes that same lock: the
 * process hung forever in `KeyGenJob::~KeyGenJob` (Node 20; seen once in 5,000 keys in a bench).
 */
export function generateKeyPair(): KeyPair {
  return keyPairFromSecret(new Uint8Array(randomBytes(32)));
}

export function publicKeyFromSecret(secretKey: Uint8Array): Uint8Array {
  // A private key's JWK carries its public half (`x`), derived when the key was imported.
  return jwkBytes(privateKeyObject(secretKey).export({ format: 'jwk' }).x, 'public key');
}

export function keyPairFromSecret(secretKey: Uint8Array): KeyPair {
  return { secretKey: Uint8Array.from(secretKey), publicKey: publicKeyFromSecret(secretKey) };
}

export function signMessage(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKeyObject(secretKey)));
}

/** Never throws: a malformed key or signature is simply "does not verify". */
export function verifySignature(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return verify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}
