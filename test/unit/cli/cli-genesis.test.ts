// `kadchain node --genesis bad.json` as a real process: a genesis that breaks a sanity bound is
// refused at start, the message names the field, the exit code is non-zero, and the data dir is
// never created (not even the mining wallet inside it).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paramsToJson } from '../../../src/core/index.js';
import { testParams } from '../../helpers/fixtures.js';
import { runCli, cliEnv } from './cli-run.js';

const home = mkdtempSync(join(tmpdir(), 'kadchain-cli-genesis-'));
after(() => rmSync(home, { recursive: true, force: true }));

async function startWith(name: string, over: Record<string, unknown>, extraArgs: string[] = []): Promise<{ code: number | null; stderr: string; dataDir: string }> {
  const file = join(home, `${name}.json`);
  writeFileSync(file, JSON.stringify({ ...paramsToJson(testParams()), ...over }));
  const dataDir = join(home, `data-${name}`);
  const r = await runCli(['node', '--genesis', file, '--data-dir', dataDir, '--port', '0', '--api-port', '0', ...extraArgs], cliEnv(home));
  return { code: r.code, stderr: r.stderr, dataDir };
}

test('genesis sanity at start: retargetInterval 1 exits non-zero naming the field, data dir untouched', async () => {
  const r = await startWith('interval', { retargetInterval: 1 }, ['--mine']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /field "retargetInterval": expected at least 2/);
  assert.equal(existsSync(r.dataDir), false, 'nothing written to the data dir');
});

test('genesis sanity at start: maxBlockBytes above the WebSocket maxPayload exits non-zero naming the field', async () => {
  const r = await startWith('oversize', { maxBlockBytes: 8 * 1024 * 1024 });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /field "maxBlockBytes": expected at most \d+ .*maxPayload/);
  assert.equal(existsSync(r.dataDir), false, 'nothing written to the data dir');
});
