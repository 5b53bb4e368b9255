// The devnet's directory: created 0700 with a marker file, and the only kind of directory that
// `devnet --fresh` will reset. A reset deletes the node<N> data folders and nothing else, and never
// touches the home directory, the current directory, the filesystem root or any of their ancestors
// (`--dir ~ --fresh` must not wipe a home directory).
import { readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, parse, relative, resolve, isAbsolute } from 'node:path';
import { ensurePrivateDir } from '../node/key-file.js';
import { CliError } from './errors.js';

export const DEVNET_MARKER = '.kadchain-devnet';
const NODE_DIR_RE = /^node\d+$/;

function entries(dir: string): string[] | undefined {
  try {
    return readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`cannot read devnet directory ${dir}: ${(e as Error).message}`);
  }
}

function real(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return resolve(p);
  }
}

/** True when `a` is `b` or one of its ancestors. */
function containsOrIs(a: string, b: string): boolean {
  const r = relative(a, b);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** Refuses directories whose reset could destroy what is not the devnet's. */
export function checkResettable(dir: string, home = homedir(), cwd = process.cwd()): void {
  const d = real(dir);
  if (d === parse(d).root) throw new CliError(`devnet --fresh: refusing to reset the filesystem root ${d}`);
  for (const [what, p] of [['your home directory', home], ['the current directory', cwd]] as const) {
    if (containsOrIs(d, real(p))) throw new CliError(`devnet --fresh: refusing to reset ${d}: it is ${d === real(p) ? '' : 'an ancestor of '}${what}`);
  }
}

/** A directory the devnet made: it has the marker, or holds nothing but node<N> folders. */
export function isDevnetDir(dir: string): boolean {
  const list = entries(dir);
  if (!list) return false;
  if (list.includes(DEVNET_MARKER)) return true;
  return list.length > 0 && list.every((f) => NODE_DIR_RE.test(f) && statSync(join(dir, f)).isDirectory());
}

/** --fresh: deletes the node<N> folders of a devnet directory; refuses any other directory. */
export function resetDevnetDir(dir: string, home = homedir(), cwd = process.cwd()): void {
  const list = entries(dir);
  if (!list || list.length === 0) return;
  checkResettable(dir, home, cwd);
  if (!isDevnetDir(dir)) {
    throw new CliError(`devnet --fresh: ${dir} is not a devnet directory (no ${DEVNET_MARKER} marker); refusing to delete anything in it. Pick another --dir, or remove it yourself`);
  }
  for (const f of list) if (NODE_DIR_RE.test(f)) rmSync(join(dir, f), { recursive: true, force: true });
}

/** Creates the directory (0700) if needed and marks it as the devnet's when it was new or empty. */
export function prepareDevnetDir(dir: string): void {
  const before = entries(dir);
  ensurePrivateDir(dirname(dir));
  ensurePrivateDir(dir);
  if (!before || before.length === 0 || isDevnetDir(dir)) {
    writeFileSync(join(dir, DEVNET_MARKER), 'This directory was created by `kadchain devnet`; `devnet --fresh` resets its node<N> folders.\n', { flag: 'w' });
  }
}
