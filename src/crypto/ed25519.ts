// Ed25519 on raw 32-byte keys through node:crypto (native; far faster verify than pure JS).
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

// Raw keys enter node:crypto as JWK (RFC 8037 OKP), not as DER: OpenSSL 3's DER decoders cost
// ~410 us per private and ~87 us per public key on this machine, the JWK path (a raw-key import)
// ~32 and ~8. A process that parses many keys pays it per key: discovery per sender and per local
// node, a block's verification per new sender.
const b64url = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');

export interface KeyPair {
  /** 32-byte seed */
  secretKey: Uint8Array;
  /** 32-byte raw public key */
  publicKey: Uint8Array;
}

// Parsing a private key costs ~20x a signature; a node signs with one key (discovery signs every
// packet), so the keys in use (many in one process in tests and benches) keep their parsed form.
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

// Off the event loop: verification on libuv's thread pool (node:crypto's callback form), for a
// process whose loop is busy with many signed datagrams (discovery): the loop keeps reading and
// routing while signatures are checked on other threads (and cores). Each call costs a thread hop,
// so a single check on an idle loop is slower than the sync one.

/** Never rejects: a malformed key or signature is simply "does not verify". */
export function verifySignatureAsync(message: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): Promise<boolean> {
  if (signature.length !== 64 || publicKey.length !== 32) return Promise.resolve(false);
  let key: KeyObject;
  try {
    key = publicKeyObject(publicKey);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    try {
      verify(null, message, key, signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}

/** signMessage on the thread pool (a busy loop's signatures move to other cores). Rejects on a bad key. */
export function signMessageAsync(message: Uint8Array, secretKey: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    sign(null, message, privateKeyObject(secretKey), (err, sig) => (err ? reject(err) : resolve(new Uint8Array(sig))));
  });
}

// Parsed keys for callers that sign or verify many messages with the same few keys (discovery signs
// every packet with one key and checks each against its sender's): the caller keeps the KeyObject
// and skips the per-call cache look-up (a base64 of the key and a map probe).

/** The parsed form of a 32-byte secret key, for signWithKey. Throws on a malformed key. */
export function signingKey(secretKey: Uint8Array): KeyObject {
  return privateKeyObject(secretKey);
}

/** The parsed form of a 32-byte public key, for verifyWithKey; undefined when it is not a valid key. */
export function verifyingKey(publicKey: Uint8Array): KeyObject | undefined {
  if (publicKey.length !== 32) return undefined;
  try {
    return parsePublicKey(publicKey);
  } catch {
    return undefined;
  }
}

/** signMessage with a parsed key; the signature is returned as made (no copy). */
export function signWithKey(message: Uint8Array, key: KeyObject): Uint8Array {
  return sign(null, message, key);
}

export function signWithKeyAsync(message: Uint8Array, key: KeyObject): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    sign(null, message, key, (err, sig) => (err ? reject(err) : resolve(sig)));
  });
}

/** verifySignature with a parsed key (undefined: an invalid key, which verifies nothing). Never throws. */
export function verifyWithKey(message: Uint8Array, signature: Uint8Array, key: KeyObject | undefined): boolean {
  if (!key || signature.length !== 64) return false;
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** verifyWithKey on the thread pool. Never rejects. */
export function verifyWithKeyAsync(message: Uint8Array, signature: Uint8Array, key: KeyObject | undefined): Promise<boolean> {
  if (!key || signature.length !== 64) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      verify(null, message, key, signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}
