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
import { closeSync, constants, fstatSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { scrypt } from '@noble/hashes/scrypt.js';
import { z } from 'zod';
import { addressFromPublicKey, encodeAddress } from '../core/index.js';
import { bytesEqual, fromHex, generateKeyPair, keyPairFromSecret, toHex, type KeyPair } from '../crypto/index.js';
import { KeyFileError, createFileExclusive, ensurePrivateDir } from '../node/key-file.js';
import { readCapped } from './read-capped.js';
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

/** A wallet file is well under 2 KiB; anything this large is not one. */
export const MAX_WALLET_FILE_BYTES = 64 * 1024;

/**
 * A wallet file's text and mode, read without trusting what sits at the path: opened non-blocking
 * (a FIFO named like a wallet would otherwise block until someone writes to it), refused unless a
 * regular file, and read only up to the cap (an endless or huge file is refused, not read whole).
 */
export function readWalletText(path: string): { text: string; mode: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw e;
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CliError(`${path}: not a regular file; refusing to read it as a wallet`);
    if (st.size > MAX_WALLET_FILE_BYTES) throw new CliError(`${path}: ${st.size} bytes, not a wallet file (a wallet is at most ${MAX_WALLET_FILE_BYTES} bytes)`);
    const bytes = readCapped(fd, MAX_WALLET_FILE_BYTES);
    if (bytes.length > MAX_WALLET_FILE_BYTES) throw new CliError(`${path}: more than ${MAX_WALLET_FILE_BYTES} bytes, not a wallet file`);
    return { text: bytes.toString('utf8'), mode: st.mode };
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

/**
 * A warning when users other than the owner can read a wallet file (wallets are made 0600): they
 * can take the ciphertext away and guess the password offline, or spend from an unprotected one.
 */
export function looseModeWarning(path: string, mode: number): string | undefined {
  if (process.platform === 'win32' || (mode & 0o077) === 0) return undefined;
  return `warning: wallet file ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); run: chmod 600 ${path}`;
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
    return this.readChecked(name).wallet;
  }

  /** The wallet and, when its file is readable by others, a warning to show the user. */
  readChecked(name: string): { wallet: WalletFile; warning?: string } {
    const path = walletPath(this.dir, name);
    let file: { text: string; mode: number };
    try {
      file = readWalletText(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`no wallet named "${name}" in ${this.dir} (create one with: kadchain wallet create --name ${name})`);
      throw e;
    }
    const wallet = parseWalletFile(file.text, path);
    const warning = looseModeWarning(path, file.mode);
    return warning ? { wallet, warning } : { wallet };
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
    return this.listChecked().wallets;
  }

  /** The wallets, and one line per file named like a wallet that could not be read (or is readable by others). */
  listChecked(): { wallets: WalletInfo[]; problems: string[] } {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { wallets: [], problems: [] };
      throw new CliError(`cannot read wallet directory ${this.dir}: ${(e as Error).message}`);
    }
    const wallets: WalletInfo[] = [];
    const problems: string[] = [];
    for (const f of names.sort()) {
      if (!f.endsWith('.json') || !NAME_RE.test(f.slice(0, -5))) continue;
      const path = join(this.dir, f);
      // A stray or damaged file must not hide the other wallets, nor be hidden itself.
      try {
        const { text, mode } = readWalletText(path);
        wallets.push(info(parseWalletFile(text, path), path));
        const loose = looseModeWarning(path, mode);
        if (loose) problems.push(loose);
      } catch (e) {
        problems.push(`warning: skipped ${e instanceof CliError ? e.message : `${path}: ${(e as Error).message}`}`);
      }
    }
    return { wallets, problems };
  }
}
