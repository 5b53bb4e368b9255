// Durable, exclusive creation of small secret files (the node key, wallets) and the private
// directories that hold them. A crash or power cut at any moment leaves either no file or the whole
// file, never a truncated one; two creators of one name never replace each other's file.
//
// Recipe (as Bitcoin Core's and geth's key stores do it, plus link for exclusivity): write a
// uniquely named temp file opened with O_EXCL and mode 0600, fsync it, link() it to the final name
// (fails if the name exists, unlike rename), unlink the temp, then fsync the directory so the new
// name itself survives a power cut.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { KadchainError } from '../core/index.js';

export type KeyFileReason = 'exists' | 'io';

export class KeyFileError extends KadchainError<KeyFileReason> {}

/** Mode of key files and of the directories that hold them. */
export const SECRET_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Creates `dir` (and missing parents) as 0700; an existing directory is left as it is. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/** fsync of a directory makes a new name in it durable; platforms without it (Windows) skip. */
export function fsyncDir(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fsyncSync(fd);
  } catch (e) {
    if (!['EINVAL', 'EISDIR', 'EPERM', 'EBADF'].includes(errno(e) ?? '')) throw e;
  } finally {
    closeSync(fd);
  }
}

const TMP_RE = /^\.(.+)\.(\d+)\.[0-9a-f]{12}\.tmp$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === 'EPERM';
  }
}

/** Temp files of creators that died mid-write (a SIGKILL between open and link). */
function removeStaleTemps(dir: string, name: string): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const f of entries) {
    const m = TMP_RE.exec(f);
    if (m && m[1] === name && Number(m[2]) !== process.pid && !alive(Number(m[2]))) rmSync(join(dir, f), { force: true });
  }
}

/**
 * Creates `path` with `data`, mode 0600, durably and exclusively: throws KeyFileError('exists')
 * if the name is taken (also when another process wins a race for it).
 */
export function createFileExclusive(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const name = basename(path);
  removeStaleTemps(dir, name);
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const fd = openSync(tmp, 'wx', SECRET_FILE_MODE);
  try {
    try {
      fchmodSync(fd, SECRET_FILE_MODE); // whatever the umask
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
    } catch (e) {
      if (errno(e) === 'EEXIST') throw new KeyFileError('exists', `${path} already exists`, { path });
      // Filesystems without hard links: rename, after a last check (only this fallback can race).
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK'].includes(errno(e) ?? '')) throw e;
      if (exists(path)) throw new KeyFileError('exists', `${path} already exists`, { path });
      renameSync(tmp, path);
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  fsyncDir(dir);
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (e) {
    if (errno(e) === 'ENOENT') return false;
    throw e;
  }
}
