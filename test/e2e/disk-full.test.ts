// A full disk, for real: the node's data dir on a small tmpfs we mount, filled up while it mines.
// Health turns to disk-full within seconds, the log is not flooded, mining stops and resumes by
// itself once space returns, and nothing is lost (the store is whole at the next open).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, writeSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startNode, type RunningNode } from '../../src/node/index.js';
import { encodeAddress } from '../../src/core/index.js';
import type { Logger, LogFields } from '../../src/log/index.js';
import { testAddress } from '../helpers/fixtures.js';
import { tempDir, defer } from '../helpers/cleanup.js';
import { writeGenesis, waitUntil } from '../helpers/node-helpers.js';
import { openChainAt, checkInvariants } from '../helpers/chain-helpers.js';

interface Line { level: string; msg: string; fields?: LogFields }
function recordingLogger(lines: Line[]): Logger {
  const at = (level: string) => (msg: string, fields?: LogFields): void => void lines.push({ level, msg, fields });
  const l: Logger = { debug: () => {}, info: at('info'), warn: at('warn'), error: at('error'), child: () => l };
  return l;
}

/** Mounts a tmpfs of `size` under a temp dir; unmounted in cleanup. Undefined when mounting is not allowed. */
function smallDisk(size: string, t: Parameters<typeof defer>[0]): string | undefined {
  const dir = tempDir('kadchain-tmpfs-', t);
  const mnt = join(dir.path, 'mnt');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  defer(t, () => execFileSync('umount', ['-l', mnt], { stdio: 'ignore' }));
  return mnt;
}

/** Writes filler until the disk refuses (bounded); returns the filler's path. */
function fillDisk(mnt: string): string {
  const file = join(mnt, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(16 * 1024, 1);
  try {
    for (let i = 0; i < 4096; i++) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  return file;
}

test('disk full: health says disk-full, mining pauses without flooding the log, resumes when space returns, nothing lost', async (t) => {
  const mnt = smallDisk('8m', t);
  if (!mnt) return t.skip('cannot mount a tmpfs here (needs root)');
  const { genesis, file } = writeGenesis(mnt);
  const dataDir = join(mnt, 'node');
  const lines: Line[] = [];
  let node: RunningNode | undefined = await startNode({
    dataDir, genesisPath: file, host: '127.0.0.1', port: 0, apiHost: '127.0.0.1', apiPort: 0, bootstrap: [],
    mine: true, minerAddress: encodeAddress(testAddress('disk-full miner')), threads: 1, logLevel: 'silent', logger: recordingLogger(lines),
    freeSpaceFloorBytes: 0, healthCheckMs: 200,
  });
  defer(t, () => node?.stop());
  const status = async (): Promise<{ height: number; health: { ok: boolean; problems: { reason: string; message: string }[] }; mining: { enabled: boolean } }> =>
    (await fetch(`${node!.apiUrl}/api/status`)).json() as never;

  await waitUntil('a few blocks mined', async () => (await status()).height >= 3, 60_000);
  assert.deepEqual((await status()).health, { ok: true, problems: [] });

  const filler = fillDisk(mnt);
  await waitUntil('health disk-full', async () => !(await status()).health.ok, 30_000);
  const sick = await status();
  assert.equal(sick.health.problems[0]?.reason, 'disk-full');
  assert.match(sick.health.problems[0]!.message, /space/i);
  assert.equal(sick.mining.enabled, false, 'the miner is paused');
  // A few seconds of a full disk log one error, not a stream of them.
  const heightWhenFull = sick.height;
  await new Promise((r) => setTimeout(r, 2000));
  const errors = lines.filter((l) => l.level === 'error');
  assert.ok(errors.length <= 3, `log flooded: ${errors.length} errors: ${errors.map((e) => e.msg).join(' | ')}`);
  assert.equal((await status()).height, heightWhenFull, 'reads still served, tip unchanged');

  rmSync(filler);
  await waitUntil('health ok again', async () => (await status()).health.ok, 30_000);
  await waitUntil('mining resumed', async () => (await status()).height > heightWhenFull + 2, 60_000);
  assert.equal((await status()).mining.enabled, true);

  const finalHeight = (await status()).height;
  await node.stop();
  node = undefined;
  const chain = await openChainAt(join(dataDir, 'chain'), genesis, { checkDepth: Infinity });
  try {
    const inv = await checkInvariants(chain, genesis);
    assert.ok(inv.height >= finalHeight - 1, `height ${inv.height} after restart, ${finalHeight} before`);
  } finally {
    await chain.close();
  }
});

test('free-space floor: a node under the floor reports disk-full before the disk is actually full', async (t) => {
  const dir = tempDir('kadchain-floor-', t);
  const { file } = writeGenesis(dir.path);
  const node = await startNode({
    dataDir: join(dir.path, 'node'), genesisPath: file, host: '127.0.0.1', port: 0, apiHost: '127.0.0.1', apiPort: 0, bootstrap: [],
    mine: true, minerAddress: encodeAddress(testAddress('floor miner')), threads: 1, logLevel: 'silent', logger: recordingLogger([]),
    freeSpaceFloorBytes: Number.MAX_SAFE_INTEGER, healthCheckMs: 200,
  });
  defer(t, () => node.stop());
  await waitUntil('health disk-full', () => !node.health.ok, 30_000);
  const s = (await (await fetch(`${node.apiUrl}/api/status`)).json()) as { health: { ok: boolean; problems: { reason: string; message: string }[] }; mining: { enabled: boolean } };
  assert.equal(s.health.ok, false);
  assert.equal(s.health.problems[0]?.reason, 'disk-full');
  assert.match(s.health.problems[0]!.message, /below the floor/);
  await waitUntil('miner paused', () => node.miner?.enabled === false, 30_000);
});
