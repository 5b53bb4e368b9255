// Wallet files: one JSON file per wallet, `<wallet dir>/<name>.json`, mode 0600, in a 0700
// directory. The Ed25519 seed is encrypted with AES-256-GCM under a key from scrypt(password, salt)
// (@noble/hashes); the address, public key, KDF parameters and (version 2) the network the wallet
// was made for are in the clear (so `list`/`show`, the miner and send's network check need no
// password) but bound to the ciphertext as GCM additional data, so editing any of them makes
// decryption fail instead of pairing a key with the wrong address or network.
//
// Files are created durably and exclusively (node/key-file.ts): a crash mid-create leaves no
// wallet or the whole wallet, and two creates of one name never replace each other.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scrypt } from '@noble/hashes/scrypt.js';
import { z } from 'zod';
import { addressFromPublicKey, encodeAddress } from '../core/index.js';
import { bytesEqual, fromHex, generateKeyPair, keyPairFromSecret, toHex, type KeyPair } from '../crypto/index.js';
import { KeyFileError, createFileExclusive, ensurePrivateDir } from '../node/key-file.js';
import { CliError } from './errors.js';

/** Version 2 records the network; version 1 files (no network) still load. */
export const WALLET_VERSION = 2;
/** scrypt cost: ~0.6 s per unlock in pure JS here; raises a guessing attacker's cost likewise. */
export const DEFAULT_SCRYPT = { N: 1 << 17, r: 8, p: 1 };
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes of lowercase hex`);

/** The chain a wallet was made for: its genesis block id (the chain id every tx signs) and name. */
export interface WalletNetwork {
  name: string;
  genesis: string;
}

const NetworkSchema = z.object({ name: z.string().min(1).max(64), genesis: hex(32) }).strict();

const WalletFileSchema = z
  .object({
    version: z.union([z.literal(1), z.literal(2)]),
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
    network: NetworkSchema.optional(),
  })
  .strict()
  .refine((w) => (w.version === 2) === (w.network !== undefined), { message: 'a version 2 wallet records its network; version 1 does not', path: ['network'] });

export type WalletFile = z.infer<typeof WalletFileSchema>;

export interface WalletInfo {
  name: string;
  address: string;
  publicKey: string;
  protected: boolean;
  createdAt: string;
  /** Absent in wallets made before wallets recorded their network (version 1). */
  network?: WalletNetwork;
  path: string;
}

export function checkWalletName(name: string): string {
  if (!NAME_RE.test(name)) throw new CliError(`invalid wallet name ${JSON.stringify(name)}: use letters, digits, ".", "_" or "-" (at most 64, starting with a letter or digit)`);
  return name;
}

export function walletPath(dir: string, name: string): string {
  return join(dir, `${checkWalletName(name)}.json`);
}

function aad(w: Pick<WalletFile, 'version' | 'name' | 'address' | 'publicKey' | 'kdf' | 'network'>): Buffer {
  const k = w.kdf;
  const net = w.network ? `|network:${w.network.genesis}:${w.network.name}` : '';
  return Buffer.from(`kadchain-wallet-v${w.version}|${w.address}|${w.publicKey}|scrypt:${k.N}:${k.r}:${k.p}:${k.salt}${net}`, 'utf8');
}

function deriveKey(password: string, kdf: WalletFile['kdf']): Uint8Array {
  return scrypt(password.normalize('NFKC'), fromHex(kdf.salt, 16), { N: kdf.N, r: kdf.r, p: kdf.p, dkLen: 32 });
}

export interface EncryptOptions {
  scrypt?: { N: number; r: number; p: number };
  /** Omitted only to write a version 1 file (tests of old wallets). */
  network?: WalletNetwork;
  createdAt?: Date;
}

/** Encrypts a key pair into the wallet file form (no I/O). */
export function encryptWallet(name: string, key: KeyPair, password: string, opts: EncryptOptions = {}): WalletFile {
  const kdf = { name: 'scrypt' as const, ...(opts.scrypt ?? DEFAULT_SCRYPT), salt: toHex(randomBytes(16)) };
  const network = opts.network ? NetworkSchema.parse(opts.network) : undefined;
  const base = {
    version: (network ? 2 : 1) as 1 | 2,
    name: checkWalletName(name),
    address: encodeAddress(addressFromPublicKey(key.publicKey)),
    publicKey: toHex(key.publicKey),
    kdf,
    ...(network ? { network } : {}),
  };
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', deriveKey(password, kdf), iv);
  cipher.setAAD(aad(base));
  const ct = Buffer.concat([cipher.update(key.secretKey), cipher.final()]);
  return {
    ...base,
    protected: password !== '',
    cipher: { name: 'aes-256-gcm', iv: toHex(iv), tag: toHex(cipher.getAuthTag()) },
    ciphertext: toHex(ct),
    createdAt: (opts.createdAt ?? new Date()).toISOString(),
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
  return { name: w.name, address: w.address, publicKey: w.publicKey, protected: w.protected, createdAt: w.createdAt, ...(w.network ? { network: w.network } : {}), path };
}

/** The wallets of one directory. */
export class Keystore {
  constructor(readonly dir: string) {}

  exists(name: string): boolean {
    try {
      statSync(walletPath(this.dir, name));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new CliError(`cannot read ${walletPath(this.dir, name)}: ${(e as Error).message}`);
    }
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

  /** Creates a new random key, durably; never overwrites a wallet (not even one made concurrently). */
  create(name: string, password: string, opts: Omit<EncryptOptions, 'createdAt'> = {}): WalletInfo {
    const path = walletPath(this.dir, name);
    if (this.exists(name)) throw new CliError(`a wallet named "${name}" already exists at ${path}`);
    const file = encryptWallet(name, generateKeyPair(), password, opts);
    try {
      ensurePrivateDir(this.dir);
      createFileExclusive(path, JSON.stringify(file, null, 2) + '\n');
    } catch (e) {
      if (e instanceof KeyFileError && e.reason === 'exists') throw new CliError(`a wallet named "${name}" already exists at ${path}`);
      throw new CliError(`cannot write ${path}: ${(e as Error).message}`);
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
