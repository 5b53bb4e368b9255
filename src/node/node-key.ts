// The node's identity key: created on first start in the data dir (mode 0600, data dir 0700),
// separate from any wallet. Its public key's SHA-256 is the Kademlia node id, and it signs
// handshakes and packets. Created durably and exclusively (key-file.ts): a crash never leaves an
// empty key, and two nodes starting on one fresh data dir end up with the same key.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, keyPairFromSecret, toHex, fromHex, type KeyPair } from '../crypto/index.js';
import { KadchainError } from '../core/index.js';
import { KeyFileError, createFileExclusive, ensurePrivateDir } from './key-file.js';

export const NODE_KEY_FILE = 'node.key';

function readNodeKey(path: string): KeyPair | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KadchainError('bad-node-key', `${path}: cannot read the node key: ${(e as Error).message}`);
  }
  try {
    return keyPairFromSecret(fromHex(text, 32));
  } catch {
    throw new KadchainError('bad-node-key', `${path}: expected 64 hex characters (a 32-byte Ed25519 seed)`);
  }
}

export function loadOrCreateNodeKey(dataDir: string): { key: KeyPair; created: boolean } {
  ensurePrivateDir(dataDir);
  const path = join(dataDir, NODE_KEY_FILE);
  const existing = readNodeKey(path);
  if (existing) return { key: existing, created: false };
  const key = generateKeyPair();
  try {
    createFileExclusive(path, toHex(key.secretKey) + '\n');
  } catch (e) {
    // Another process created it between our read and our link: use theirs.
    if (e instanceof KeyFileError && e.reason === 'exists') return { key: readNodeKey(path)!, created: false };
    throw e;
  }
  return { key, created: true };
}
