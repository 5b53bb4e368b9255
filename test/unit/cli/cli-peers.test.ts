// The peers view (issue 15): `kadchain peers` (a real CLI child process) and GET /api/peers on a real
// node connected to another real node show each peer's authenticated id, address, direction and score.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeersSchema } from '../../../src/api/schemas.js';
import type { PeersJson } from '../../../src/api/index.js';
import { tempDir } from '../../helpers/cleanup.js';
import { testNet, waitUntil } from '../../helpers/node-helpers.js';
import { cliEnv, runCli } from './cli-run.js';

test('peers view: CLI and /api/peers show the authenticated id, address, direction and score of each peer', async (t) => {
  const net = testNet({}, t);
  const a = await net.start();
  const b = await net.start({ bootstrap: [a] });
  await waitUntil('a and b connected', () => a.net.peer(b.nodeId) !== undefined && b.net.peer(a.nodeId) !== undefined, 30_000);
  const atA = a.net.peer(b.nodeId)!;
  a.net.misbehave(atA, 10, 'test');

  const res = await fetch(`${a.apiUrl}/api/peers`);
  assert.equal(res.status, 200);
  const body = PeersSchema.parse(await res.json()) as PeersJson;
  const row = body.connected.find((c) => c.id === b.nodeId);
  assert.ok(row, 'b is listed by the id it proved');
  assert.equal(row.address, `127.0.0.1:${b.port}`, 'the address b can be dialled at');
  assert.equal(row.direction, atA.direction);
  assert.equal(row.score, 10);

  const home = tempDir('kadchain-cli-peers-', t);
  const env = cliEnv(home.path);
  const [text, json] = await Promise.all([runCli(['peers', '--node', a.apiUrl], env), runCli(['peers', '--json', '--node', a.apiUrl], env)]);
  assert.equal(text.code, 0, text.stderr);
  assert.equal(json.code, 0, json.stderr);
  const viaCli = (JSON.parse(json.stdout) as PeersJson).connected.find((c) => c.id === b.nodeId);
  assert.deepEqual({ address: viaCli?.address, direction: viaCli?.direction, score: viaCli?.score }, { address: `127.0.0.1:${b.port}`, direction: atA.direction, score: 10 });
  const line = text.stdout.split('\n').find((l) => l.includes(b.nodeId.slice(0, 16)));
  assert.ok(line, `b's row in:\n${text.stdout}`);
  assert.match(line, new RegExp(`127\\.0\\.0\\.1:${b.port}\\s+${atA.direction}\\s+\\d+\\s+10\\s`));
});
