// The node's identity key: created on first start in the data dir (mode 0600), separate from any
// wallet. Its public key's SHA-256 is the Kademlia node id, and it signs handshakes and packets.
import { existsSync, readFileSync, writeFileSync, renameSync, mkdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, keyPairFromSecret, toHex, fromHex, type KeyPair } from '../crypto/index.js';
import { KadchainError } from '../core/index.js';

export const NODE_KEY_FILE = 'node.key';

export function loadOrCreateNodeKey(dataDir: string): { key: KeyPair; created: boolean } {
  const path = join(dataDir, NODE_KEY_FILE);
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8').trim();
    try {
      return { key: keyPairFromSecret(fromHex(text, 32)), created: false };
    } catch {
      throw new KadchainError('bad-node-key', `${path}: expected 64 hex characters (a 32-byte Ed25519 seed)`);
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const key = generateKeyPair();
  const tmp = path + '.tmp';
  writeFileSync(tmp, toHex(key.secretKey) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path); // atomic: never a half-written key
  return { key, created: true };
}
