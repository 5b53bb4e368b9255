// `kadchain wallet create | list | show` as real processes with KADCHAIN_PASSWORD and a temp
// wallet dir; plus the keystore's encryption (wrong password and edited files fail).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keystore, encryptWallet, decryptWallet, parseWalletFile } from '../../../src/cli/keystore.js';
import { generateKeyPair, toHex } from '../../../src/crypto/index.js';
import { runCli, cliEnv } from './cli-run.js';

let home: string;
let dir: string;
const FAST = { scrypt: { N: 1024, r: 8, p: 1 } };
before(() => {
  home = mkdtempSync(join(tmpdir(), 'kadchain-cli-wallet-'));
  dir = join(home, 'wallets');
});
after(() => rmSync(home, { recursive: true, force: true }));

test('wallet create, list and show', async () => {
  const env = cliEnv(home, { KADCHAIN_PASSWORD: 'correct horse' });
  const created = await runCli(['wallet', 'create', '--name', 'alice', '--wallet-dir', dir, '--json'], env);
  assert.equal(created.code, 0, created.stderr);
  const info = JSON.parse(created.stdout) as { name: string; address: string; publicKey: string; path: string };
  assert.equal(info.name, 'alice');
  assert.match(info.address, /^kc1[02-9ac-hj-np-z]+$/);
  assert.equal(info.path, join(dir, 'alice.json'));

  // Mode 0600, and the file holds no plaintext key.
  assert.equal(statSync(info.path).mode & 0o777, 0o600);
  const text = readFileSync(info.path, 'utf8');
  const key = new Keystore(dir).unlock('alice', 'correct horse');
  const secretHex = toHex(key.secretKey);
  assert.ok(!text.includes(secretHex), 'secret key in hex');
  assert.ok(!text.includes(Buffer.from(key.secretKey).toString('base64')), 'secret key in base64');
  assert.equal(toHex(key.publicKey), info.publicKey);

  // Second wallet via the env wallet dir; plain-text output.
  const bob = await runCli(['wallet', 'create', '--name', 'bob'], { ...env, KADCHAIN_WALLET_DIR: dir });
  assert.equal(bob.code, 0, bob.stderr);
  assert.match(bob.stdout, /created wallet "bob"/);

  const list = await runCli(['wallet', 'list', '--wallet-dir', dir], cliEnv(home));
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^NAME\s+ADDRESS/);
  assert.match(list.stdout, new RegExp(`alice\\s+${info.address}`));
  assert.match(list.stdout, /\nbob\s+kc1/);
  const listJson = JSON.parse((await runCli(['wallet', 'list', '--wallet-dir', dir, '--json'], cliEnv(home))).stdout) as { name: string }[];
  assert.deepEqual(listJson.map((w) => w.name), ['alice', 'bob']);

  // show needs no password.
  const show = await runCli(['wallet', 'show', '--name', 'alice', '--wallet-dir', dir], cliEnv(home));
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`address\\s+${info.address}`));
  assert.doesNotMatch(show.stdout, new RegExp(secretHex));
});

test('wallet errors: duplicate name, missing wallet, empty password, bad name', async () => {
  const env = cliEnv(home, { KADCHAIN_PASSWORD: 'pw' });
  const d = join(home, 'errs');
  assert.equal((await runCli(['wallet', 'create', '--name', 'w', '--wallet-dir', d], env)).code, 0);
  const [dup, missing, empty, badName] = await Promise.all([
    runCli(['wallet', 'create', '--name', 'w', '--wallet-dir', d], env),
    runCli(['wallet', 'show', '--name', 'nope', '--wallet-dir', d], env),
    runCli(['wallet', 'create', '--name', 'e', '--wallet-dir', d], cliEnv(home, { KADCHAIN_PASSWORD: '' })),
    runCli(['wallet', 'create', '--name', '../evil', '--wallet-dir', d], env),
  ]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /already exists/);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no wallet named "nope"/);
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /empty password/);
  assert.equal(badName.code, 1);
  assert.match(badName.stderr, /invalid wallet name/);
  const emptyList = await runCli(['wallet', 'list', '--wallet-dir', join(home, 'none')], env);
  assert.equal(emptyList.code, 0);
  assert.match(emptyList.stdout, /no wallets/);
});

test('keystore: wrong password and edited files fail to decrypt', () => {
  const key = generateKeyPair();
  const file = encryptWallet('k', key, 'right', FAST);
  assert.deepEqual(decryptWallet(file, 'right').secretKey, key.secretKey);
  assert.throws(() => decryptWallet(file, 'wrong'), /wrong password/);
  const other = encryptWallet('o', generateKeyPair(), 'right', FAST);
  // Someone swaps the address (or the public key) for theirs: authentication fails.
  assert.throws(() => decryptWallet({ ...file, address: other.address }, 'right'), /wrong password|modified/);
  assert.throws(() => decryptWallet({ ...file, publicKey: other.publicKey }, 'right'), /wrong password|modified/);
  assert.throws(() => decryptWallet({ ...file, kdf: { ...file.kdf, N: 2048 } }, 'right'), /wrong password|modified/);
  // A hostile KDF cost is refused before any work.
  const p = join(home, 'hostile.json');
  writeFileSync(p, JSON.stringify({ ...file, kdf: { ...file.kdf, N: 1 << 30 } }));
  assert.throws(() => parseWalletFile(readFileSync(p, 'utf8'), p), /kdf\.N/);
});
