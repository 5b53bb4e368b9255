// The query and send commands as real child processes against an in-test API server (real chain
// on LevelDB, real mempool, real HTTP), and against a port where nothing listens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress, txIdHex } from '../../../src/core/index.js';
import { encryptWallet } from '../../../src/cli/keystore.js';
import type { StatusJson, BlockJson, AccountJson, PeersJson } from '../../../src/api/index.js';
import { extend } from '../../helpers/chain-helpers.js';
import { testAddress, testKey } from '../../helpers/fixtures.js';
import { startApi, deadPort, type ApiHarness } from '../api/api-harness.js';
import { runCli, cliEnv } from './cli-run.js';

let h: ApiHarness;
let home: string;
let wallets: string;
const bob = encodeAddress(testAddress('bob'));
const alice = encodeAddress(testAddress('alice'));

before(async () => {
  h = await startApi();
  await extend(h.chain, 2);
  home = mkdtempSync(join(tmpdir(), 'kadchain-cli-query-'));
  wallets = join(home, 'wallets');
  mkdirSync(wallets, { mode: 0o700 });
  // Alice holds the test genesis allocation; her wallet uses a cheap KDF to keep the test fast.
  const network = { name: h.chain.genesis.params.network, genesis: h.chain.genesis.idHex };
  const file = encryptWallet('alice', testKey('alice'), 'pw', { scrypt: { N: 1024, r: 8, p: 1 }, network });
  writeFileSync(join(wallets, 'alice.json'), JSON.stringify(file), { mode: 0o600 });
});
after(async () => {
  await h.close();
  rmSync(home, { recursive: true, force: true });
});

const q = (args: string[], extra: Record<string, string> = {}) => runCli([...args, '--node', h.url], cliEnv(home, extra));

test('status, balance, block, tx and peers: tables and --json', async () => {
  const [statusJson, statusText, balText, balJson, block1, blockJson, peersText, peersJson] = await Promise.all([
    q(['status', '--json']),
    q(['status']),
    q(['balance', alice]),
    q(['balance', alice, '--json']),
    q(['block', '1']),
    q(['block', h.chain.tip.idHex, '--json']),
    q(['peers']),
    q(['peers', '--json']),
  ]);
  for (const r of [statusJson, statusText, balText, balJson, block1, blockJson, peersText, peersJson]) assert.equal(r.code, 0, r.stderr);

  const s = JSON.parse(statusJson.stdout) as StatusJson;
  assert.equal(s.height, 2);
  assert.equal(s.genesis, h.chain.genesis.idHex);
  assert.match(statusText.stdout, /^network\s+kadchain-test$/m);
  assert.match(statusText.stdout, /^height\s+2$/m);
  assert.match(statusText.stdout, new RegExp(`^tip\\s+${h.chain.tip.idHex}$`, 'm'));

  assert.match(balText.stdout, /^balance\s+1000 coins$/m);
  const acct = JSON.parse(balJson.stdout) as AccountJson;
  assert.equal(acct.balance, '100000000000', '--json keeps base units');

  assert.match(block1.stdout, /^height\s+1$/m);
  assert.match(block1.stdout, /coinbase/);
  assert.match(block1.stdout, /reward\s+50 coins/);
  assert.equal((JSON.parse(blockJson.stdout) as BlockJson).id, h.chain.tip.idHex);

  assert.match(peersText.stdout, /connected peers \(1\)/);
  assert.match(peersText.stdout, /routing table \(2\)/);
  assert.equal((JSON.parse(peersJson.stdout) as PeersJson).table.length, 2);

  const cb = (await h.chain.getBlock(1))!.block.txs[0]!;
  const tx = await q(['tx', txIdHex(cb)]);
  assert.equal(tx.code, 0, tx.stderr);
  assert.match(tx.stdout, /^status\s+confirmed/m);

  // KADCHAIN_NODE stands in for --node.
  const viaEnv = await runCli(['status', '--json'], cliEnv(home, { KADCHAIN_NODE: h.url }));
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
});

test('not found and bad arguments: one error line, exit 1', async () => {
  const [missingBlock, badAddr, badTx] = await Promise.all([q(['block', 'ff'.repeat(32)]), q(['balance', 'kc1notanaddress']), q(['tx', 'xyz'])]);
  for (const r of [missingBlock, badAddr, badTx]) {
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: /);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  assert.match(missingBlock.stderr, /no block/);
});

test('a dead node URL: "cannot reach node at URL", exit 1, no stack trace', async () => {
  const url = `http://127.0.0.1:${await deadPort()}`;
  const results = await Promise.all([
    runCli(['status', '--node', url], cliEnv(home)),
    runCli(['status', '--json', '--node', url], cliEnv(home)),
    runCli(['balance', alice, '--node', url], cliEnv(home)),
    runCli(['send', '--to', bob, '--amount', '1', '--wallet', 'alice', '--wallet-dir', wallets, '--node', url], cliEnv(home, { KADCHAIN_PASSWORD: 'pw' })),
  ]);
  for (const r of results) {
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot reach node at ${url.replace(/[.]/g, '\\.')}`));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(r.stdout, '');
  }
});

test('send signs with the pending nonce and chain id; --wait returns once mined', async () => {
  const env = { KADCHAIN_PASSWORD: 'pw' };
  const send = (extra: string[]) => q(['send', '--to', bob, '--wallet', 'alice', '--wallet-dir', wallets, ...extra], env);

  const first = await send(['--amount', '1.5', '--fee', '0.001']);
  assert.equal(first.code, 0, first.stderr);
  const id = first.stdout.trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const entry = h.mempool.get(id);
  assert.ok(entry, 'in the mempool');
  assert.equal(entry.tx.amount, 150_000_000n);
  assert.equal(entry.tx.fee, 100_000n);
  assert.equal(entry.tx.nonce, 0n);

  // The next send chains on the pending nonce; the test "miner" mines whatever arrives.
  const mineOnArrival = (): void => void h.mine().catch(() => {});
  h.mempool.on('added', mineOnArrival);
  try {
    const second = await send(['--amount', '2', '--wait', '--timeout', '20']);
    assert.equal(second.code, 0, second.stderr);
    const id2 = second.stdout.trim();
    assert.match(id2, /^[0-9a-f]{64}$/);
    assert.match(second.stderr, /confirmed in block [0-9a-f]{64} at height \d+/);
    const got = await h.chain.getTx(id2);
    assert.ok(got, 'on the chain');
    assert.equal(got.tx.kind === 'transfer' && got.tx.nonce, 1n);
  } finally {
    h.mempool.off('added', mineOnArrival);
  }
  const bal = JSON.parse((await q(['balance', bob, '--json'])).stdout) as AccountJson;
  assert.equal(bal.balance, '350000000');
});

test('send refuses a wrong password, a bad address and a zero amount', async () => {
  const base = ['send', '--wallet', 'alice', '--wallet-dir', wallets];
  const typo = bob.slice(0, -1) + (bob.endsWith('q') ? 'p' : 'q');
  const [wrongPw, badTo, zero, tooMuch] = await Promise.all([
    q([...base, '--to', bob, '--amount', '1'], { KADCHAIN_PASSWORD: 'nope' }),
    q([...base, '--to', typo, '--amount', '1'], { KADCHAIN_PASSWORD: 'pw' }),
    q([...base, '--to', bob, '--amount', '0'], { KADCHAIN_PASSWORD: 'pw' }),
    q([...base, '--to', bob, '--amount', '5000'], { KADCHAIN_PASSWORD: 'pw' }),
  ]);
  assert.equal(wrongPw.code, 1);
  assert.match(wrongPw.stderr, /wrong password/);
  assert.equal(badTo.code, 1);
  assert.match(badTo.stderr, /--to/);
  assert.equal(zero.code, 1);
  assert.match(zero.stderr, /--amount/);
  assert.equal(tooMuch.code, 1);
  assert.match(tooMuch.stderr, /insufficient-funds/);
});
