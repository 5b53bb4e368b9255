// `kadchain devnet` safety: --fresh resets only a directory the devnet made (never $HOME, the
// current directory or their ancestors), and the wallet password reaches only the mining nodes,
// through their standard input, never through their environment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paramsToJson } from '../../../src/core/index.js';
import { DEVNET_MARKER, prepareDevnetDir, resetDevnetDir } from '../../../src/cli/devnet-dir.js';
import { Keystore } from '../../../src/cli/keystore.js';
import { freePort } from '../../helpers/cli-helpers.js';
import { testParams } from '../../helpers/fixtures.js';
import { cliEnv, runCli, startCli } from './cli-run.js';

let home: string;
before(() => {
  home = mkdtempSync(join(tmpdir(), 'kadchain-devnet-'));
});
after(() => rmSync(home, { recursive: true, force: true }));

function tree(dir: string, files: Record<string, string>): void {
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), text);
  }
}

test('devnet --fresh refuses $HOME, the current directory and unmarked directories; deletes only node<N> folders', async () => {
  const fakeHome = join(home, 'user');
  tree(fakeHome, { 'precious.txt': 'keep me', 'node0/node.key': 'x' });
  const cwd = join(home, 'work', 'project');
  tree(cwd, { 'src.ts': 'keep me' });

  // The CLI as a user would type it: --dir ~ --fresh (HOME is the temp "user" dir).
  const r = await runCli(['devnet', '--dir', '~', '--fresh', '--nodes', '1', '--mine', '0'], cliEnv(fakeHome));
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refusing to reset .*your home directory/);
  assert.equal(readFileSync(join(fakeHome, 'precious.txt'), 'utf8'), 'keep me');
  assert.ok(existsSync(join(fakeHome, 'node0', 'node.key')));

  assert.throws(() => resetDevnetDir(cwd, fakeHome, cwd), /the current directory/);
  assert.throws(() => resetDevnetDir(join(home, 'work'), fakeHome, cwd), /an ancestor of the current directory/);
  assert.throws(() => resetDevnetDir(home, fakeHome, cwd), /ancestor/);
  assert.throws(() => resetDevnetDir('/', fakeHome, cwd), /filesystem root/);

  // A directory with other things in it and no marker: refused, nothing deleted.
  const other = join(home, 'other');
  tree(other, { 'notes.txt': 'mine', 'node1/x': 'y' });
  assert.throws(() => resetDevnetDir(other, fakeHome, cwd), /not a devnet directory/);
  assert.deepEqual(readdirSync(other).sort(), ['node1', 'notes.txt']);

  // A devnet directory: only its node<N> folders go; the marker and anything else stay.
  const dev = join(home, 'dev');
  prepareDevnetDir(dev);
  tree(dev, { 'node0/node.key': 'k', 'node12/chain/x': 'y', 'README.txt': 'stay' });
  resetDevnetDir(dev, fakeHome, cwd);
  assert.deepEqual(readdirSync(dev).sort(), [DEVNET_MARKER, 'README.txt'].sort());
  // A directory with nothing but node<N> folders (a devnet from before the marker) counts too.
  const legacy = join(home, 'legacy');
  tree(legacy, { 'node0/node.key': 'k', 'node1/node.key': 'k' });
  resetDevnetDir(legacy, fakeHome, cwd);
  assert.deepEqual(readdirSync(legacy), []);
});

test('devnet passes the mining password through stdin only: no KADCHAIN_PASSWORD in any node\'s environment', { skip: !existsSync('/proc/self/environ') }, async () => {
  const dir = join(home, 'net');
  const genesisFile = join(home, 'genesis.json');
  writeFileSync(genesisFile, JSON.stringify(paramsToJson(testParams({ initialTarget: (1n << 240n) - 1n }))));
  const [p2p, api] = [await freePort(), await freePort()];
  const child = startCli(
    ['devnet', '--dir', dir, '--nodes', '1', '--mine', '1', '--base-port', String(p2p), '--api-base-port', String(api), '--genesis', genesisFile, '--log-level', 'warn'],
    cliEnv(home, { KADCHAIN_PASSWORD: 'devnet secret' }),
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (out += c));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`devnet did not come up:\n${out}`)), 90_000);
      const poll = setInterval(() => {
        if (/devnet of 1 node/.test(out)) {
          clearTimeout(timer);
          clearInterval(poll);
          resolve();
        }
      }, 100);
      void exited.then(() => {
        clearTimeout(timer);
        clearInterval(poll);
        reject(new Error(`devnet exited:\n${out}`));
      });
    });
    // The node processes are the devnet's children: none has the password in its environment.
    const kids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1] === String(child.pid);
      } catch {
        return false;
      }
    });
    assert.ok(kids.length >= 1, 'found the node process');
    for (const pid of kids) assert.doesNotMatch(readFileSync(`/proc/${pid}/environ`, 'utf8'), /KADCHAIN_PASSWORD/);
    // Yet the password reached the mining node: its new wallet is protected by it.
    const store = new Keystore(join(dir, 'node0', 'wallets'));
    assert.equal(store.show('miner').protected, true);
    assert.ok(store.unlock('miner', 'devnet secret'));
    assert.ok(existsSync(join(dir, DEVNET_MARKER)));
  } finally {
    child.kill('SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }
});
