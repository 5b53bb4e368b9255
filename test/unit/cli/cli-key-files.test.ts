// Key files as a careful user expects them: a SIGKILL during wallet creation never leaves a
// truncated or replaced wallet; two creators of one name never both win; fresh data and wallet
// directories are 0700 and key files 0600 under umask 022; an unattended miner never gets a silent
// empty password; --password-file works and KADCHAIN_PASSWORD leaves the environment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { paramsToJson } from '../../../src/core/index.js';
import { decryptWallet, parseWalletFile, Keystore } from '../../../src/cli/keystore.js';
import { PASSWORD_ENV, readPassword, takePasswordFromEnv } from '../../../src/cli/prompt.js';
import { prng, testParams } from '../../helpers/fixtures.js';
import { MAIN, cliEnv, runCli } from './cli-run.js';

const CHILD = fileURLToPath(new URL('./wallet-create-child.js', import.meta.url));
let home: string;
let genesisFile: string;

before(() => {
  home = mkdtempSync(join(tmpdir(), 'kadchain-key-files-'));
  genesisFile = join(home, 'genesis.json');
  writeFileSync(genesisFile, JSON.stringify(paramsToJson(testParams())));
});
after(() => rmSync(home, { recursive: true, force: true }));

interface Child {
  lines: string[];
  /** Resolves when a line equal to or starting with `prefix` arrives (or the child exits). */
  line(prefix: string): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
  ready: Promise<void>;
}

function startChild(dir: string, names: string[]): Child {
  const child = spawn(process.execPath, [CHILD, dir, 'pw', ...names], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const waiters: { prefix: string; resolve: () => void }[] = [];
  let buf = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    buf += c;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    for (const l of parts) {
      if (l === 'ready') onReady();
      else lines.push(l);
      for (const w of waiters.filter((x) => l.startsWith(x.prefix))) w.resolve();
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      onReady();
      for (const w of waiters) w.resolve();
      if (code) process.stderr.write(err);
      resolve({ code, signal });
    }),
  );
  const line = (prefix: string): Promise<void> =>
    lines.some((l) => l.startsWith(prefix)) ? Promise.resolve() : new Promise((resolve) => waiters.push({ prefix, resolve }));
  return { lines, line, exited, ready, kill: () => child.kill('SIGKILL') };
}

/** Every wallet file in `dir` parses and decrypts; returns name -> address. */
function intactWallets(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    const path = join(dir, f);
    const w = parseWalletFile(readFileSync(path, 'utf8'), path); // throws on a truncated file
    decryptWallet(w, 'pw');
    assert.equal(statSync(path).mode & 0o777, 0o600, `${f} mode`);
    out.set(w.name, w.address);
  }
  return out;
}

test('wallet crash test: SIGKILL during wallet creation never leaves a truncated or replaced wallet', async () => {
  const dir = join(home, 'crash');
  // One wallet that every round tries (and must fail) to create again: it must never change.
  const first = startChild(dir, ['keep']);
  await first.exited;
  const keep = intactWallets(dir).get('keep');
  assert.ok(keep);
  const rand = prng(20);
  const ROUNDS = 12;
  let created = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const c = startChild(dir, ['keep', '*']);
    // Once one wallet is through, kill at a seeded moment within the next few creations.
    await c.line('created w0 ');
    await new Promise((r) => setTimeout(r, Math.floor(rand() * 400)));
    c.kill();
    const e = await c.exited;
    assert.equal(e.signal, 'SIGKILL');
    // (Output lines may be lost with the process; the files are the evidence.)
    const wallets = intactWallets(dir);
    assert.equal(wallets.get('keep'), keep, 'the existing wallet is unchanged');
    created += [...wallets.keys()].filter((n) => /^w\d+$/.test(n)).length;
    for (const l of c.lines.filter((x) => x.startsWith('created '))) {
      const [, name, address] = l.split(' ');
      assert.equal(wallets.get(name!), address, `${name} is the wallet the child reported`);
    }
    // Start the next round on a clean w0..: the killed one may have been mid-way through any of them.
    for (const f of readdirSync(dir)) if (/^w\d+\.json$/.test(f)) rmSync(join(dir, f));
  }
  assert.ok(created > 0, 'some creations completed before a kill');
  // Temp files of killed creators of a name are swept by the next create of that name.
  const last = startChild(dir, ['w0', 'w1', 'w2', 'w3']);
  await last.exited;
  assert.deepEqual(readdirSync(dir).filter((f) => /^\.w[0-3]\.json\..*\.tmp$/.test(f)), []);
});

test('two creators of one wallet name: exactly one wins, the other is refused, the file is the winner\'s', async () => {
  const dir = join(home, 'race');
  const names = Array.from({ length: 25 }, (_, i) => `r${i}`);
  const [a, b] = [startChild(dir, names), startChild(dir, names)];
  await Promise.all([a.exited, b.exited]);
  const wallets = intactWallets(dir);
  for (const n of names) {
    const wins = [...a.lines, ...b.lines].filter((l) => l.startsWith(`created ${n} `));
    assert.equal(wins.length, 1, `exactly one creator of ${n} succeeded`);
    assert.equal(wallets.get(n), wins[0]!.split(' ')[2], `${n} holds the winner's key`);
  }
});

/** Runs the CLI under umask 022 (the common default) through a shell. */
function underUmask(args: string[], env: NodeJS.ProcessEnv, until: () => boolean): Promise<void> {
  const child = spawn('/bin/sh', ['-c', `umask 022 && exec "${process.execPath}" "${MAIN}" "$@"`, 'sh', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (out += c));
  // Listened for from the start: a command that exits by itself (wallet create) may be gone before
  // the poll sees its file, and an 'exit' listener added then would wait forever.
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 90_000;
    const poll = setInterval(() => {
      if (until()) {
        clearInterval(poll);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        void exited.then(resolve);
      } else if (Date.now() > deadline || child.exitCode !== null) {
        clearInterval(poll);
        child.kill('SIGKILL');
        reject(new Error(`condition not met:\n${out}`));
      }
    }, 50);
  });
}

test('permissions under umask 022: fresh data dir and wallet dir 0700, node key and wallets 0600', { skip: process.platform === 'win32' }, async () => {
  const pwFile = join(home, 'pw.txt');
  writeFileSync(pwFile, 'secret\n', { mode: 0o600 });
  const dataDir = join(home, 'perm', 'data');
  const env = cliEnv(home);
  await underUmask(
    ['node', '--data-dir', dataDir, '--genesis', genesisFile, '--port', '0', '--api-port', '0', '--mine', '--threads', '1', '--password-file', pwFile, '--log-level', 'warn'],
    env,
    () => existsSync(join(dataDir, 'node.key')) && existsSync(join(dataDir, 'wallets', 'miner.json')),
  );
  const mode = (p: string): number => statSync(p).mode & 0o777;
  assert.equal(mode(join(home, 'perm')), 0o700, 'parent created for the data dir');
  assert.equal(mode(dataDir), 0o700, 'data dir');
  assert.equal(mode(join(dataDir, 'wallets')), 0o700, 'wallet dir');
  assert.equal(mode(join(dataDir, 'node.key')), 0o600, 'node key');
  assert.equal(mode(join(dataDir, 'wallets', 'miner.json')), 0o600, 'mining wallet');
  assert.deepEqual(readdirSync(dataDir).filter((f) => f.endsWith('.tmp')), [], 'no temp files left');
  // The password came from the file; the wallet is protected by it.
  assert.ok(new Keystore(join(dataDir, 'wallets')).unlock('miner', 'secret'));

  const walletDir = join(home, 'perm2', 'wallets');
  await underUmask(['wallet', 'create', '--name', 'w', '--wallet-dir', walletDir, '--genesis', genesisFile, '--password-file', pwFile], env, () => existsSync(join(walletDir, 'w.json')));
  assert.equal(mode(join(home, 'perm2')), 0o700);
  assert.equal(mode(walletDir), 0o700);
  assert.equal(mode(join(walletDir, 'w.json')), 0o600);
});

test('empty-password miner wallet: node --mine refuses without a password; --allow-empty-password makes one that wallet show calls NOT protected', async () => {
  const dataDir = join(home, 'empty');
  const args = ['node', '--data-dir', dataDir, '--genesis', genesisFile, '--port', '0', '--api-port', '0', '--mine', '--threads', '1', '--log-level', 'warn'];
  const refused = await runCli(args, cliEnv(home));
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /needs a password \(--password-file FILE, KADCHAIN_PASSWORD, or run in a terminal\).*--allow-empty-password/);
  assert.equal(existsSync(join(dataDir, 'wallets', 'miner.json')), false, 'no wallet was created');
  // An empty KADCHAIN_PASSWORD is an empty password too, not a choice.
  const emptyEnv = await runCli(args, cliEnv(home, { KADCHAIN_PASSWORD: '' }));
  assert.equal(emptyEnv.code, 1);
  assert.match(emptyEnv.stderr, /--allow-empty-password/);

  await underUmask([...args, '--allow-empty-password'], cliEnv(home), () => existsSync(join(dataDir, 'wallets', 'miner.json')));
  const show = await runCli(['wallet', 'show', '--name', 'miner', '--wallet-dir', join(dataDir, 'wallets')], cliEnv(home));
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^protected\s+NOT protected/m);
  assert.doesNotMatch(show.stdout, /encrypted\s+yes/);
});

test('--password-file gives wallet create its password; KADCHAIN_PASSWORD is taken out of the environment', async () => {
  const dir = join(home, 'pwfile');
  mkdirSync(dir, { recursive: true });
  const pwFile = join(dir, 'pw');
  writeFileSync(pwFile, 'from the file\nsecond line ignored\n', { mode: 0o600 });
  const r = await runCli(['wallet', 'create', '--name', 'f', '--wallet-dir', dir, '--genesis', genesisFile, '--password-file', pwFile], cliEnv(home, { KADCHAIN_PASSWORD: 'from env' }));
  assert.equal(r.code, 0, r.stderr);
  assert.ok(new Keystore(dir).unlock('f', 'from the file'), 'the file wins over the environment');
  const missing = await runCli(['wallet', 'create', '--name', 'g', '--wallet-dir', dir, '--password-file', join(dir, 'nope')], cliEnv(home));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--password-file: cannot read/);

  const env: NodeJS.ProcessEnv = { [PASSWORD_ENV]: 'pw-from-env' };
  takePasswordFromEnv(env);
  assert.equal(env[PASSWORD_ENV], undefined, 'deleted from the environment once read');
  assert.equal(await readPassword('unused: '), 'pw-from-env', 'still available to the command that needs it');
});
