// `kadchain node --mine --miner-impl wasm|js` as a real child process on a tiny-work genesis:
// each implementation mines blocks the node connects, and the node's log says which kernel runs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { encodeAddress, paramsToJson } from '../../../src/core/index.js';
import type { StatusJson } from '../../../src/api/index.js';
import { testParams, testAddress } from '../../helpers/fixtures.js';
import { startCli, cliEnv } from '../cli/cli-run.js';

const home = mkdtempSync(join(tmpdir(), 'kadchain-miner-cli-'));
const running = new Set<ChildProcess>();
after(() => {
  for (const c of running) c.kill('SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

const genesisFile = join(home, 'genesis.json');
// About 65k attempts a block: a few blocks a second with either implementation, even on a busy machine.
writeFileSync(genesisFile, JSON.stringify(paramsToJson(testParams({ initialTarget: (1n << 240n) - 1n }))));

async function statusOf(url: string): Promise<StatusJson | undefined> {
  try {
    const res = await fetch(url + '/api/status', { signal: AbortSignal.timeout(5000) });
    return res.ok ? ((await res.json()) as StatusJson) : undefined;
  } catch {
    return undefined;
  }
}

for (const [impl, kernel] of [['wasm', 'wasm-simd'], ['js', 'js']] as const) {
  test(`kadchain node --mine --miner-impl ${impl} mines blocks on a devnet genesis and logs kernel ${kernel}`, async () => {
    const args = ['node', '--mine', '--miner-impl', impl, '--threads', '1', '--miner-address', encodeAddress(testAddress('miner')),
      '--data-dir', join(home, impl), '--genesis', genesisFile, '--port', '0', '--api-port', '0', '--log-level', 'info'];
    const child = startCli(args, cliEnv(home));
    running.add(child);
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }));
    child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));

    const deadline = Date.now() + 60_000;
    let url: string | undefined;
    let height = 0;
    while (height < 3) {
      assert.ok(Date.now() < deadline, `no 3 blocks within 60 s:\n${out}`);
      assert.ok(running.has(child), `node exited early:\n${out}`);
      url ??= /explorer and API at (http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
      if (url) height = (await statusOf(url))?.height ?? 0;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(out, new RegExp(`miner started.*${kernel}|${kernel}.*miner started`));
    const s = await statusOf(url!);
    assert.equal(s?.mining.enabled, true);

    child.kill('SIGTERM');
    assert.equal(await exited, 0, out);
  });
}

test('kadchain node refuses an unknown --miner-impl with a one-line error', async () => {
  const child = startCli(['node', '--miner-impl', 'gpu', '--data-dir', join(home, 'bad'), '--genesis', genesisFile, '--port', '0', '--api-port', '0'], cliEnv(home));
  running.add(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  running.delete(child);
  assert.notEqual(code, 0);
  assert.match(err, /--miner-impl: expected one of wasm, js, got "gpu"/);
});
