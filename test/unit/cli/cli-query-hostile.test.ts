// The read-only commands (status, block, tx, balance, peers) as real processes against a hostile
// fake node: answers of the wrong shape, and answers about something other than what was asked.
// Before the fix the CLI formatted whatever came ("error: Invalid time value", "p.table is not
// iterable"), and printed another address's balance or another transaction as the one asked for.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress } from '../../../src/core/index.js';
import { testAddress } from '../../helpers/fixtures.js';
import { startFakeNode, type FakeRoute } from './fake-node.js';
import { runCli, cliEnv, type CliResult } from './cli-run.js';

const home = mkdtempSync(join(tmpdir(), 'kadchain-query-hostile-'));
after(() => rmSync(home, { recursive: true, force: true }));
const alice = encodeAddress(testAddress('alice'));
const mallory = encodeAddress(testAddress('mallory'));
const TX = 'ab'.repeat(32);
const OTHER = 'cd'.repeat(32);
const BLOCK = 'ef'.repeat(32);

async function ask(args: string[], answers: Record<string, unknown>): Promise<CliResult> {
  const route: FakeRoute = (req) => (req.url !== undefined && req.url in answers ? { body: answers[req.url] } : undefined);
  const node = await startFakeNode(route);
  try {
    return await runCli([...args, '--node', node.url], cliEnv(home), 60_000);
  } finally {
    await node.close();
  }
}

function refused(r: CliResult, message: RegExp): void {
  assert.equal(r.code, 1, `exit code; stdout: ${r.stdout} stderr: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stdout, '', 'nothing printed as if it were the answer');
}

test('malformed node answers: status, block, tx, balance and peers name the node\'s bad answer instead of failing on it', async () => {
  const [status, badTime, peers, block, tx, balance] = await Promise.all([
    ask(['status'], { '/api/status': {} }),
    ask(['status', '--json'], { '/api/status': { network: 'n', genesis: BLOCK, height: 1, tip: BLOCK, tipTime: 1e300, work: '1', target: 'ff', difficulty: 1, peers: { table: 0, connected: 0 }, mempool: 0, mempoolBytes: 0, mining: { enabled: false, hashrate: 0 }, syncing: false } }),
    ask(['peers'], { '/api/peers': { connected: 5 } }),
    ask(['block', '1'], { '/api/blocks/1': { id: BLOCK, txs: 'nope' } }),
    ask(['tx', TX], { [`/api/txs/${TX}`]: { id: TX, tx: null } }),
    ask(['balance', alice], { [`/api/accounts/${alice}`]: { address: alice, balance: '-5', nonce: '0', pendingNonce: '0' } }),
  ]);
  refused(status, /node at http:\/\/127\.0\.0\.1:\d+ sent a malformed status answer \(field "network"/);
  refused(badTime, /malformed status answer \(field "tipTime"/);
  refused(peers, /malformed peers answer/);
  refused(block, /malformed block answer/);
  refused(tx, /malformed transaction answer \(field "tx"/);
  refused(balance, /malformed account answer \(field "balance"/);
});

test('lying node answers: balance, tx and block answering about another address, transaction or block are refused', async () => {
  const account = { address: mallory, balance: '100000000000000', nonce: '0', pendingNonce: '0' };
  const txAnswer = { id: OTHER, status: 'confirmed', block: BLOCK, height: 1, index: 1, confirmations: 1, tx: { kind: 'coinbase', height: 1, to: alice, amount: '5000000000', extraNonce: '0', extraData: '', id: OTHER, size: 60 } };
  const blockAnswer = {
    id: BLOCK, height: 7, prevHash: OTHER, timestamp: 1, target: 'ff', nonce: 0, txCount: 0, size: 100, miner: null, reward: '0', main: true,
    header: { version: 1, height: 7, prevHash: OTHER, merkleRoot: OTHER, timestamp: 1, target: 'ff', nonce: 0 }, txs: [], confirmations: 1, work: '1', next: null,
  };
  const [balance, tx, byHeight, byId] = await Promise.all([
    ask(['balance', alice], { [`/api/accounts/${alice}`]: account }),
    ask(['tx', TX], { [`/api/txs/${TX}`]: txAnswer }),
    ask(['block', '1'], { '/api/blocks/1': blockAnswer }),
    ask(['block', OTHER], { [`/api/blocks/${OTHER}`]: blockAnswer }),
  ]);
  refused(balance, new RegExp(`answered for address ${mallory} instead of ${alice}`));
  refused(tx, new RegExp(`answered for transaction ${OTHER} instead of ${TX}`));
  refused(byHeight, /answered with the block at height 7 instead of height 1/);
  refused(byId, new RegExp(`answered with block ${BLOCK} instead of ${OTHER}`));
});
