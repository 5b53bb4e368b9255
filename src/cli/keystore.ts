// Wallet files: one JSON file per wallet, `<wallet dir>/<name>.json`, mode 0600. The Ed25519 seed
// is encrypted with AES-256-GCM under a key from scrypt(password, salt) (@noble/hashes); the
// address, public key and KDF parameters are in the clear (so `list`/`show` and the miner need no
// password) but bound to the ciphertext as GCM additional data, so editing any of them makes
// decryption fail instead of pairing a key with the wrong address.
//
// Depends only on core, crypto and node built-ins, so it can move below the CLI if the node ever
// has to create wallets itself.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { scrypt } from '@noble/hashes/scrypt.js';
import { z } from 'zod';
import { addressFromPublicKey, encodeAddress } from '../core/index.js';
import { bytesEqual, fromHex, generateKeyPair, keyPairFromSecret, toHex, type KeyPair } from '../crypto/index.js';
import { CliError } from './errors.js';

export const WALLET_VERSION = 1;
/** scrypt cost: ~0.6 s per unlock in pure JS here; raises a guessing attacker's cost likewise. */
export const DEFAULT_SCRYPT = { N: 1 << 17, r: 8, p: 1 };
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes of lowercase hex`);

const WalletFileSchema = z
  .object({
    version: z.literal(WALLET_VERSION),
    name: z.string().regex(NAME_RE),
    address: z.string().min(1).max(90),
    publicKey: hex(32),
    /** False when created with an empty password (e.g. an unattended miner wallet). */
    protected: z.boolean(),
    kdf: z.object({
      name: z.literal('scrypt'),
      // Bounds keep a hostile file from making us allocate gigabytes.
      N: z.number().int().min(1024).max(1 << 20).refine((n) => (n & (n - 1)) === 0, 'expected a power of two'),
      r: z.number().int().min(1).max(16),
      p: z.number().int().min(1).max(4),
      salt: hex(16),
    }),
    cipher: z.object({ name: z.literal('aes-256-gcm'), iv: hex(12), tag: hex(16) }),
    ciphertext: hex(32),
    createdAt: z.string(),
  })
  .strict();

export type WalletFile = z.infer<typeof WalletFileSchema>;

export interface WalletInfo {
  name: string;
  address: string;
  publicKey: string;
  protected: boolean;
  createdAt: string;
  path: string;
}

export function checkWalletName(name: string): string {
  if (!NAME_RE.test(name)) throw new CliError(`invalid wallet name ${JSON.stringify(name)}: use letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)`);
  return name;
}

export function walletPath(dir: string, name: string): string {
  return join(dir, `${checkWalletName(name)}.json`);
}

function aad(w: Pick<WalletFile, 'version' | 'name' | 'address' | 'publicKey' | 'kdf'>): Buffer {
  const k = w.kdf;
  return Buffer.from(`kadchain-wallet-v${w.version}|${w.address}|${w.publicKey}|scrypt:${k.N}:${k.r}:${k.p}:${k.salt}`, 'utf8');
}

function deriveKey(password: string, kdf: WalletFile['kdf']): Uint8Array {
  return scrypt(password.normalize('NFKC'), fromHex(kdf.salt, 16), { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: 32 });
}

/** Encrypts a key pair into the wallet file form (no I/O). */
export function encryptWallet(name: string, key: KeyPair, password: string, scryptParams = DEFAULT_SCRYPT, createdAt = new Date()): WalletFile {
  const kdf = { name: 'scrypt' as const, ...scryptParams, salt: toHex(randomBytes(16)) };
  const base = { version: WALLET_VERSION as typeof WALLET_VERSION, name: checkWalletName(name), address: encodeAddress(addressFromPublicKey(key.publicKey)), publicKey: toHex(key.publicKey), kdf };
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(password, kdf), iv);
  cipher.setAAD(aad(base));
  const ct = Buffer.concat([cipher.update(key.secretKey), cipher.final()]);
  return {
    ...base,
    protected: password !== '',
    cipher: { name: 'aes-256-gcm', iv: toHex(iv), tag: toHex(cipher.getAuthTag()) },
    ciphertext: toHex(ct),
    createdAt: createdAt.toISOString(),
  };
}

/** Decrypts; a wrong password or an edited file both fail GCM authentication. */
export function decryptWallet(w: WalletFile, password: string): KeyPair {
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(password, w.kdf), fromHex(w.cipher.iv, 12));
  decipher.setAAD(aad(w));
  decipher.setAuthTag(fromHex(w.cipher.tag, 16));
  let secret: Buffer;
  try {
    secret = Buffer.concat([decipher.update(fromHex(w.ciphertext, 32)), decipher.final()]);
  } catch {
    throw new CliError(`wrong password for wallet "${w.name}" (or the wallet file was modified)`);
  }
  const key = keyPairFromSecret(new Uint8Array(secret));
  secret.fill(0);
  if (!bytesEqual(key.publicKey, fromHex(w.publicKey, 32)) || encodeAddress(addressFromPublicKey(key.publicKey)) !== w.address) {
    throw new CliError(`wallet "${w.name}" is inconsistent: its key does not match its address`);
  }
  return key;
}

export function parseWalletFile(text: string, path: string): WalletFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${path}: not a wallet file (invalid JSON)`);
  }
  const r = WalletFileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new CliError(`${path}: not a valid kadchain wallet (field "${issue.path.join('.') || '(root)'}": ${issue.message})`);
  }
  return r.data;
}

function info(w: WalletFile, path: string): WalletInfo {
  return { name: w.name, address: w.address, publicKey: w.publicKey, protected: w.protected, createdAt: w.createdAt, path };
}

/** The wallets of one directory. */
export class Keystore {
  constructor(readonly dir: string) {}

  exists(name: string): boolean {
    return existsSync(walletPath(this.dir, name));
  }

  read(name: string): WalletFile {
    const path = walletPath(this.dir, name);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no wallet named "${name}" in ${this.dir} (create one with: kadchain wallet create --name ${name})`);
      throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
    }
    return parseWalletFile(text, path);
  }

  show(name: string): WalletInfo {
    return info(this.read(name), walletPath(this.dir, name));
  }

  unlock(name: string, password: string): KeyPair {
    return decryptWallet(this.read(name), password);
  }

  /** Creates a new random key; refuses to overwrite an existing wallet. */
  create(name: string, password: string, scryptParams = DEFAULT_SCRYPT): WalletInfo {
    const path = walletPath(this.dir, name);
    if (existsSync(path)) throw new CliError(`a wallet named "${name}" already exists at ${path}`);
    const file = encryptWallet(name, generateKeyPair(), password, scryptParams);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      // 0600 from the first byte ("wx": never through an existing file), then an atomic rename.
      writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
      chmodSync(tmp, 0o600);
      if (existsSync(path)) throw new CliError(`a wallet named "${name}" already exists at ${path}`);
      renameSync(tmp, path);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    return info(file, path);
  }

  list(): WalletInfo[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CliError(`cannot read wallet directory ${this.dir}: ${(e as Error).message}`);
    }
    const out: WalletInfo[] = [];
    for (const f of names.sort()) {
      if (!f.endsWith('.json') || !NAME_RE.test(f.slice(0, -5))) continue;
      const path = join(this.dir, f);
      try {
        out.push(info(parseWalletFile(readFileSync(path, 'utf8'), path), path));
      } catch {
        // A stray or damaged file must not hide the other wallets; `show` names the problem.
      }
    }
    return out;
  }
}
