// Settings precedence for `kadchain node`: flag > KADCHAIN_* env > JSON config file > default,
// and clear errors for bad values (tested on the resolver directly).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveNodeConfig, resolveWalletDir, resolveNodeUrl } from '../../../src/cli/config.js';
import { encodeAddress } from '../../../src/core/index.js';
import { testAddress } from '../../helpers/fixtures.js';

let dir: string;
let config: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'kadchain-cli-config-'));
  config = join(dir, 'conf', 'kadchain.json');
  mkdirSync(join(dir, 'conf'));
  writeFileSync(config, JSON.stringify({ port: 31000, apiPort: 9000, dataDir: 'data', logLevel: 'warn', bootstrap: ['10.0.0.1:30420'], mine: true, threads: 3 }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('defaults', () => {
  const c = resolveNodeConfig({}, {}, '/cwd', '/home/u');
  assert.equal(c.dataDir, '/home/u/.kadchain');
  assert.equal(c.walletDir, '/home/u/.kadchain/wallets');
  assert.equal(c.genesisPath, undefined);
  assert.deepEqual([c.host, c.port, c.apiHost, c.apiPort], ['127.0.0.1', 30420, '127.0.0.1', 8420]);
  assert.deepEqual(c.bootstrap, []);
  assert.equal(c.mine, false);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.minerWallet, 'miner');
});

test('config file < env < flag', () => {
  const fromFile = resolveNodeConfig({ config }, {}, '/cwd', '/home/u');
  assert.equal(fromFile.port, 31000);
  assert.equal(fromFile.apiPort, 9000);
  assert.equal(fromFile.dataDir, join(dir, 'conf', 'data'), 'config paths are relative to the file');
  assert.deepEqual(fromFile.bootstrap, ['10.0.0.1:30420']);
  assert.equal(fromFile.mine, true);
  assert.equal(fromFile.threads, 3);
  assert.equal(fromFile.logLevel, 'warn');
  assert.equal(fromFile.sources.port, 'config');

  const env = { KADCHAIN_CONFIG: config, KADCHAIN_PORT: '32000', KADCHAIN_DATA_DIR: '~/kc', KADCHAIN_MINE: '0', KADCHAIN_BOOTSTRAP: '1.2.3.4:5,5.6.7.8:9' };
  const fromEnv = resolveNodeConfig({}, env, '/cwd', '/home/u');
  assert.equal(fromEnv.port, 32000);
  assert.equal(fromEnv.apiPort, 9000, 'unset in env: the file still counts');
  assert.equal(fromEnv.dataDir, '/home/u/kc');
  assert.equal(fromEnv.mine, false);
  assert.deepEqual(fromEnv.bootstrap, ['1.2.3.4:5', '5.6.7.8:9']);
  assert.equal(fromEnv.sources.port, 'env');

  const fromFlags = resolveNodeConfig({ port: '33000', dataDir: 'rel', mine: true, bootstrap: ['9.9.9.9:1'], logLevel: 'DEBUG' }, env, '/cwd', '/home/u');
  assert.equal(fromFlags.port, 33000);
  assert.equal(fromFlags.dataDir, '/cwd/rel');
  assert.equal(fromFlags.walletDir, '/cwd/rel/wallets');
  assert.equal(fromFlags.mine, true);
  assert.deepEqual(fromFlags.bootstrap, ['9.9.9.9:1']);
  assert.equal(fromFlags.logLevel, 'debug');
  assert.equal(fromFlags.sources.port, 'flag');
});

test('bad values are refused with the setting named', () => {
  assert.throws(() => resolveNodeConfig({ port: 'abc' }, {}, '/cwd', '/h'), /--port: expected an integer from 0 to 65535/);
  assert.throws(() => resolveNodeConfig({}, { KADCHAIN_API_PORT: '70000' }, '/cwd', '/h'), /KADCHAIN_API_PORT/);
  assert.throws(() => resolveNodeConfig({ bootstrap: ['nohostport'] }, {}, '/cwd', '/h'), /--bootstrap: expected HOST:PORT/);
  assert.throws(() => resolveNodeConfig({ logLevel: 'loud' }, {}, '/cwd', '/h'), /--log-level/);
  assert.throws(() => resolveNodeConfig({ threads: '0' }, {}, '/cwd', '/h'), /--threads/);
  assert.throws(() => resolveNodeConfig({}, { KADCHAIN_MINE: 'maybe' }, '/cwd', '/h'), /KADCHAIN_MINE/);
  const good = encodeAddress(testAddress('m'));
  assert.equal(resolveNodeConfig({ minerAddress: good }, {}, '/cwd', '/h').minerAddress, good);
  const typo = good.slice(0, -1) + (good.endsWith('q') ? 'p' : 'q');
  assert.throws(() => resolveNodeConfig({ minerAddress: typo }, {}, '/cwd', '/h'), /--miner-address/);
  const badConf = join(dir, 'bad.json');
  writeFileSync(badConf, JSON.stringify({ prot: 1 }));
  assert.throws(() => resolveNodeConfig({ config: badConf }, {}, '/cwd', '/h'), /prot/);
  writeFileSync(badConf, '{nope');
  assert.throws(() => resolveNodeConfig({ config: badConf }, {}, '/cwd', '/h'), /invalid JSON/);
  assert.throws(() => resolveNodeConfig({ config: join(dir, 'missing.json') }, {}, '/cwd', '/h'), /cannot read config file/);
});

test('wallet dir and node URL defaults', () => {
  assert.equal(resolveWalletDir({}, {}, '/cwd', '/h'), '/h/.kadchain/wallets');
  assert.equal(resolveWalletDir({ dataDir: 'd' }, {}, '/cwd', '/h'), '/cwd/d/wallets');
  assert.equal(resolveWalletDir({}, { KADCHAIN_DATA_DIR: '/data' }, '/cwd', '/h'), '/data/wallets');
  assert.equal(resolveWalletDir({ dataDir: 'd' }, { KADCHAIN_WALLET_DIR: '/w' }, '/cwd', '/h'), '/w');
  assert.equal(resolveWalletDir({ walletDir: 'x' }, { KADCHAIN_WALLET_DIR: '/w' }, '/cwd', '/h'), '/cwd/x');
  assert.equal(resolveNodeUrl(undefined, {}), 'http://127.0.0.1:8420');
  assert.equal(resolveNodeUrl(undefined, { KADCHAIN_NODE: 'http://h:1' }), 'http://h:1');
  assert.equal(resolveNodeUrl('http://f:2', { KADCHAIN_NODE: 'http://h:1' }), 'http://f:2');
});

test('--metrics: off by default; the flag or KADCHAIN_METRICS=1 turns it on; a bad value is refused', () => {
  assert.equal(resolveNodeConfig({}, {}, '/cwd', '/home/u').metrics, false);
  assert.equal(resolveNodeConfig({ metrics: true }, {}, '/cwd', '/home/u').metrics, true);
  assert.equal(resolveNodeConfig({}, { KADCHAIN_METRICS: '1' }, '/cwd', '/home/u').metrics, true);
  assert.throws(() => resolveNodeConfig({}, { KADCHAIN_METRICS: 'maybe' }, '/cwd', '/home/u'), /KADCHAIN_METRICS/);
});
