// End-to-end through the built `kadchain` bin, as a user runs it: three node processes discover
// each other from one bootstrap address, one mines, `send` moves coins, every node shows the new
// balance; SIGKILL and restart catches up; SIGTERM exits 0 and the data dir reopens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { paramsToJson } from '../../src/core/index.js';
import { writeFileSync } from 'node:fs';
import { testParams } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/chain-helpers.js';
import { waitUntil } from '../helpers/node-helpers.js';
import { kadchain, spawnNode, freePort, getJson } from '../helpers/cli-helpers.js';

interface Status { height: number; tip: string; peers: { table: number; connected: number } }

test('cli: 3 nodes, one mines, send moves coins, balances everywhere; SIGKILL catch-up; SIGTERM exits 0', { timeout: 300_000 }, async () => {
  const root = tempDir('kadchain-cli-');
  // ~1M hashes per block: a few blocks a second on one thread of the WASM miner.
  const genesisFile = join(root.path, 'genesis.json');
  writeFileSync(genesisFile, JSON.stringify(paramsToJson(testParams({ initialTarget: (1n << 236n) - 1n, alloc: [] }))));
  const env = { KADCHAIN_PASSWORD: 'correct horse', KADCHAIN_WALLET_DIR: join(root.path, 'wallets') };
  const ports = [await freePort(), await freePort(), await freePort()];
  const apis = [await freePort(), await freePort(), await freePort()];
  const url = (i: number) => `http://127.0.0.1:${apis[i]}`;
  const nodeArgs = (i: number, extra: string[] = []) => [
    '--data-dir', join(root.path, `n${i}`), '--genesis', genesisFile, '--host', '127.0.0.1', '--port', String(ports[i]), '--api-port', String(apis[i]),
    '--log-level', 'info', ...(i === 0 ? [] : ['--bootstrap', `127.0.0.1:${ports[0]}`]), ...extra,
  ];
  const procs: ReturnType<typeof spawnNode>[] = [];
  try {
    const created = await kadchain(['wallet', 'create', '--name', 'miner', '--json'], env);
    assert.equal(created.code, 0, created.stderr);
    const minerAddr = (JSON.parse(created.stdout) as { address: string }).address;
    const bob = JSON.parse((await kadchain(['wallet', 'create', '--name', 'bob', '--json'], env)).stdout) as { address: string };

    procs[0] = spawnNode(nodeArgs(0, ['--mine', '--miner-address', minerAddr, '--threads', '1']), env);
    await waitUntil('node 0 api', async () => !!(await getJson(`${url(0)}/api/status`)), 30_000, 100);
    procs[1] = spawnNode(nodeArgs(1), env);
    procs[2] = spawnNode(nodeArgs(2), env);
    // Discovery from one bootstrap address: everyone connects to both others.
    await waitUntil('3 nodes connected', async () => {
      const s = await Promise.all([0, 1, 2].map((i) => getJson<Status>(`${url(i)}/api/status`)));
      return s.every((x) => x && x.peers.connected >= 2);
    }, 60_000, 200);

    // Mining pays the miner wallet.
    await waitUntil('miner has coins', async () => {
      const r = await kadchain(['balance', minerAddr, '--node', url(0), '--json']);
      return r.code === 0 && BigInt((JSON.parse(r.stdout) as { balance: string }).balance) > 200_000_000n;
    }, 60_000, 300);

    const sent = await kadchain(['send', '--to', bob.address, '--amount', '1.5', '--fee', '0.001', '--wallet', 'miner', '--node', url(1), '--wait'], env, 120_000);
    assert.equal(sent.code, 0, sent.stderr);
    assert.match(sent.stdout, /[0-9a-f]{64}/);
    for (const i of [0, 1, 2]) {
      await waitUntil(`bob's balance on node ${i}`, async () => {
        const r = await kadchain(['balance', bob.address, '--node', url(i), '--json']);
        return r.code === 0 && (JSON.parse(r.stdout) as { balance: string }).balance === '150000000';
      }, 60_000, 300);
    }

    // SIGKILL node 2, let the chain grow, restart it: it catches up.
    procs[2].kill('SIGKILL');
    await once(procs[2], 'exit');
    const h0 = (await getJson<Status>(`${url(0)}/api/status`))!.height;
    await waitUntil('chain grows', async () => ((await getJson<Status>(`${url(0)}/api/status`))?.height ?? 0) >= h0 + 3, 60_000, 200);
    procs[2] = spawnNode(nodeArgs(2), env);
    await waitUntil('restarted node catches up', async () => {
      const [a, c] = await Promise.all([getJson<Status>(`${url(0)}/api/status`), getJson<Status>(`${url(2)}/api/status`)]);
      return !!a && !!c && c.height >= h0 + 3 && Math.abs(a.height - c.height) <= 1;
    }, 60_000, 200);

    // SIGTERM exits 0 within 5 s and the data dir reopens cleanly.
    const t0 = Date.now();
    procs[1].kill('SIGTERM');
    const [code] = await once(procs[1], 'exit');
    assert.equal(code, 0, procs[1].output().slice(-2000));
    assert.ok(Date.now() - t0 < 5_000, `stopped in ${Date.now() - t0} ms`);
    procs[1] = spawnNode(nodeArgs(1), env);
    await waitUntil('node 1 reopened', async () => ((await getJson<Status>(`${url(1)}/api/status`))?.height ?? 0) > 0, 30_000, 100);

    // A missing node: a clear message and exit code 1.
    const dead = await kadchain(['status', '--node', 'http://127.0.0.1:9']);
    assert.equal(dead.code, 1);
    assert.match(dead.stderr, /cannot reach node at/);
  } finally {
    for (const p of procs) if (p && p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      await Promise.race([once(p, 'exit'), new Promise((r) => setTimeout(r, 6000))]);
      if (p.exitCode === null) p.kill('SIGKILL');
    }
    root.cleanup();
  }
});
