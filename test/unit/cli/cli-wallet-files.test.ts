// Hostile and damaged files in the wallet directory, against the real `kadchain wallet` and `send`
// processes: a FIFO or an endless file named like a wallet, a damaged wallet beside good ones, and a
// wallet file others can read. Each test failed on the CLI before its fix (see each test).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress, genesisFromJson, paramsToJson } from '../../../src/core/index.js';
import { encryptWallet } from '../../../src/cli/keystore.js';
import { testAddress, testKey, testParams } from '../../helpers/fixtures.js';
import { startFakeNode, honestRoutes } from './fake-node.js';
import { runCli, cliEnv } from './cli-run.js';

const FAST = { N: 1024, r: 8, p: 1 };
const posix = process.platform !== 'win32';
let home: string;
let net: { name: string; genesis: string };

before(() => {
  home = mkdtempSync(join(tmpdir(), 'kadchain-wallet-files-'));
  const g = genesisFromJson(paramsToJson(testParams()));
  net = { name: g.params.network, genesis: g.idHex };
});
after(() => rmSync(home, { recursive: true, force: true }));

/** A fresh wallet dir holding a good wallet "alice" (mode 0600). */
function walletDir(name: string): string {
  const dir = join(home, name);
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'alice.json'), JSON.stringify(encryptWallet('alice', testKey('alice'), 'pw', { scrypt: FAST, network: net })), { mode: 0o600 });
  return dir;
}

// Bounded: before the fix these commands blocked for ever on the FIFO.
const wallet = (args: string[], dir: string) => runCli(['wallet', ...args, '--wallet-dir', dir], cliEnv(home), 30_000);

test('FIFO named like a wallet: wallet list and show neither hang nor hide the good wallets', { skip: !posix }, async () => {
  const dir = walletDir('fifo');
  execFileSync('mkfifo', [join(dir, 'trap.json')]);
  const list = await wallet(['list'], dir);
  assert.equal(list.signal, null, 'wallet list was killed: it blocked on the FIFO');
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^alice\s/m);
  assert.match(list.stderr, /trap\.json.*not a regular file/);
  const show = await wallet(['show', '--name', 'trap'], dir);
  assert.equal(show.signal, null, 'wallet show was killed: it blocked on the FIFO');
  assert.equal(show.code, 1);
  assert.match(show.stderr, /not a regular file/);
});

test('endless wallet file: a huge file named like a wallet is refused at a size cap, not read whole', async () => {
  const dir = walletDir('huge');
  const path = join(dir, 'big.json');
  writeFileSync(path, '');
  truncateSync(path, 64 << 20); // sparse: 64 MiB of zeros that cost no disk
  const show = await wallet(['show', '--name', 'big'], dir);
  assert.equal(show.code, 1);
  assert.match(show.stderr, /big\.json.*67108864 bytes.*not a wallet file/);
  assert.doesNotMatch(show.stderr, /\n\s+at /, 'no stack trace');
});

test('damaged wallet in list: wallet list names the damaged file on stderr instead of hiding it', async () => {
  const dir = walletDir('damaged');
  const good = JSON.stringify(encryptWallet('bob', testKey('bob'), 'pw', { scrypt: FAST, network: net }));
  writeFileSync(join(dir, 'bob.json'), good.slice(0, good.length / 2), { mode: 0o600 }); // truncated
  const list = await wallet(['list'], dir);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^alice\s/m);
  assert.doesNotMatch(list.stdout, /^bob\s/m);
  assert.match(list.stderr, /warning: .*bob\.json.*invalid JSON/);
  // --json output stays machine-readable; the warning still goes to stderr.
  const asJson = await wallet(['list', '--json'], dir);
  assert.deepEqual((JSON.parse(asJson.stdout) as { name: string }[]).map((w) => w.name), ['alice']);
  assert.match(asJson.stderr, /bob\.json/);
});

test('wallet file others can read: send warns before signing (the key can be attacked offline or, unprotected, spent)', { skip: !posix }, async (t) => {
  const dir = walletDir('loose');
  chmodSync(join(dir, 'alice.json'), 0o644);
  const aliceAddr = encodeAddress(testAddress('alice'));
  const node = await startFakeNode(honestRoutes({ network: net.name, genesis: net.genesis, address: aliceAddr }));
  t.after(() => node.close());
  const r = await runCli(['send', '--to', encodeAddress(testAddress('bob')), '--amount', '1', '--wallet', 'alice', '--wallet-dir', dir, '--node', node.url], cliEnv(home, { KADCHAIN_PASSWORD: 'pw' }), 60_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*alice\.json is readable by other users \(mode 644\).*chmod 600/);
  const show = await wallet(['show', '--name', 'alice'], dir);
  assert.match(show.stderr, /warning: .*readable by other users/);
});

test('endless password file: --password-file /dev/zero is refused at the password cap, nothing signed or sent', { skip: !posix }, async (t) => {
  const dir = walletDir('endless-password');
  const aliceAddr = encodeAddress(testAddress('alice'));
  const node = await startFakeNode(honestRoutes({ network: net.name, genesis: net.genesis, address: aliceAddr }));
  t.after(() => node.close());
  // Before the fix the whole stream was read before the size check: memory ran out first.
  const r = await runCli(['send', '--to', encodeAddress(testAddress('bob')), '--amount', '1', '--wallet', 'alice', '--wallet-dir', dir, '--node', node.url, '--yes', '--password-file', '/dev/zero'], cliEnv(home), 60_000);
  assert.equal(r.signal, null, 'killed: it never stopped reading');
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /--password-file: \/dev\/zero is more than 4096 bytes/);
  assert.equal(node.posts.length, 0, 'nothing was sent');
});
