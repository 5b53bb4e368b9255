// Every command answers --help (exit 0, usage on stdout); usage errors go to stderr, exit non-zero.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, cliEnv } from './cli-run.js';

let home: string;
before(() => {
  home = mkdtempSync(join(tmpdir(), 'kadchain-cli-help-'));
});
after(() => rmSync(home, { recursive: true, force: true }));

const COMMANDS: [string[], RegExp][] = [
  [[], /Usage: kadchain \[options\] \[command\]/],
  [['node'], /--data-dir.*--genesis.*--host.*--port.*--api-port.*--bootstrap.*--mine.*--miner-address.*--threads.*--log-level.*--config.*--password-file.*--allow-empty-password/s],
  [['wallet'], /create.*list.*show/s],
  [['wallet', 'create'], /--name.*--genesis.*--network.*--password-file/s],
  [['wallet', 'list'], /--wallet-dir/],
  [['wallet', 'show'], /--name/],
  [['send'], /--to.*--amount.*--fee.*--max-fee.*--yes.*--wallet.*--genesis.*--network.*--password-file.*--node.*--wait/s],
  [['status'], /--node.*--json/s],
  [['block'], /<id\|height>/],
  [['tx'], /<id>/],
  [['balance'], /<addr>/],
  [['peers'], /--node.*--json/s],
  [['devnet'], /--nodes.*--mine.*--base-port.*--fresh.*--password-file.*--allow-empty-password/s],
];

test('--help works for every command', async () => {
  const results = await Promise.all(COMMANDS.map(([args]) => runCli([...args, '--help'], cliEnv(home))));
  results.forEach((r, i) => {
    const [args, pattern] = COMMANDS[i]!;
    assert.equal(r.code, 0, `kadchain ${args.join(' ')} --help: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Usage: kadchain${args.length ? ' ' + args.join(' ') : ''}`));
    assert.match(r.stdout, pattern, args.join(' '));
  });
});

test('usage errors go to stderr with a non-zero exit code', async () => {
  const [unknown, missing, badArg] = await Promise.all([
    runCli(['frobnicate'], cliEnv(home)),
    runCli(['send', '--to', 'kc1x'], cliEnv(home)),
    runCli(['block'], cliEnv(home)),
  ]);
  for (const r of [unknown, missing, badArg]) {
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /error:/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  assert.match(missing.stderr, /--amount/);
});
