// `kadchain node` as a real process: settings from a config file and the environment, a mining
// wallet created on first start, the API answering, and a clean exit 0 on SIGINT / SIGTERM
// within 5 s. Ports are 0 (picked by the OS) and read back from the node's log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { paramsToJson } from '../../../src/core/index.js';
import type { StatusJson } from '../../../src/api/index.js';
import { testParams } from '../../helpers/fixtures.js';
import { startCli, cliEnv } from './cli-run.js';

let home: string;
let genesisFile: string;
let configFile: string;
const running = new Set<ChildProcess>();

before(() => {
  home = mkdtempSync(join(tmpdir(), 'kadchain-cli-node-'));
  genesisFile = join(home, 'genesis.json');
  // About 65k hashes a block: a steady trickle of blocks, not a flood.
  writeFileSync(genesisFile, JSON.stringify(paramsToJson(testParams({ initialTarget: (1n << 240n) - 1n }))));
  configFile = join(home, 'node.json');
  writeFileSync(configFile, JSON.stringify({ port: 0, apiPort: 0, genesis: 'genesis.json', logLevel: 'info', threads: 1 }));
});
after(() => {
  for (const c of running) c.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

/** Starts `kadchain node`, resolves with the API URL once the node says it is up. */
function startNode(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; output: () => string; exited: Promise<{ code: number | null; signal: string | null; at: number }> }> {
  const child = startCli(['node', ...args], env);
  running.add(child);
  let out = '';
  const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, at: Date.now() });
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not come up within 60 s:\n${out}`)), 60_000);
    const onData = (c: Buffer): void => {
      out += c.toString('utf8');
      const m = /explorer and API at (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exited.then((e) => {
      clearTimeout(timer);
      reject(new Error(`node exited early (${e.code ?? e.signal}):\n${out}`));
    });
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('node mines to a new wallet, serves the API, and exits 0 on SIGINT within 5 s', async () => {
  const dataDir = join(home, 'data');
  const env = cliEnv(home, { KADCHAIN_PASSWORD: 'pw', KADCHAIN_DATA_DIR: dataDir, KADCHAIN_CONFIG: configFile, KADCHAIN_MINE: '1' });
  const n = await startNode([], env);
  const walletPath = join(dataDir, 'wallets', 'miner.json');
  const wallet = JSON.parse(readFileSync(walletPath, 'utf8')) as { address: string; protected: boolean };
  assert.equal(wallet.protected, true);
  assert.equal(statSync(walletPath).mode & 0o777, 0o600);

  const status = await waitFor(async () => {
    const s = (await (await fetch(n.url + '/api/status')).json()) as StatusJson;
    return s.height >= 2 ? s : undefined;
  });
  assert.equal(status.network, 'kadchain-test');
  assert.equal(status.mining.enabled, true);
  assert.equal(status.mining.address, wallet.address);

  const sent = Date.now();
  n.child.kill('SIGINT');
  const e = await n.exited;
  assert.equal(e.code, 0, n.output());
  assert.ok(e.at - sent < 5000, `stopped in ${e.at - sent} ms`);
  await assert.rejects(fetch(n.url + '/api/status'));

  // Second start, SIGTERM this time, flag beats env: no mining; the chain survived.
  const again = await startNode(['--no-mine'], cliEnv(home, { KADCHAIN_DATA_DIR: dataDir, KADCHAIN_CONFIG: configFile, KADCHAIN_MINE: '1' }));
  const s2 = (await (await fetch(again.url + '/api/status')).json()) as StatusJson;
  assert.equal(s2.mining.enabled, false);
  assert.ok(s2.height >= status.height);
  const t = Date.now();
  again.child.kill('SIGTERM');
  const e2 = await again.exited;
  assert.equal(e2.code, 0, again.output());
  assert.ok(e2.at - t < 5000);
});

test('node startup errors are one line on stderr with exit 1', async () => {
  const child = startCli(['node', '--data-dir', join(home, 'bad'), '--genesis', join(home, 'missing.json'), '--port', '0', '--api-port', '0'], cliEnv(home));
  running.add(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 1);
  assert.match(err, /^error: .*missing\.json/m);
  assert.doesNotMatch(err, /\n\s+at /);
});
