// The test runner itself (scripts/run-tests.mjs), run as a child process on the fixture files in
// test/fixtures (outside the folders `npm test` scans): a hung test fails by file and name and the
// rest still runs; the summary; the whole-run bound; cleanup of what failing and hung tests opened.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir, trackChild, type AfterHook } from '../helpers/cleanup.js';
import { waitUntil } from '../helpers/node-helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RUNNER = join(ROOT, 'scripts/run-tests.mjs');
const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const rel = (p: string): string => relative(ROOT, p);

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the runner (bounded) with a clean environment: no test-runner or KADCHAIN_ variables. */
function runRunner(t: AfterHook, args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('NODE_TEST') && !k.startsWith('KADCHAIN_')) env[k] = v;
  const child = trackChild(spawn(process.execPath, [RUNNER, ...args], { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] }), t);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const lastLine = (s: string): string => s.trimEnd().split('\n').at(-1) ?? '';
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('hung test: fails by file and name within the per-test timeout, the rest of the suite runs, exit non-zero', async (t) => {
  const dir = join(FIXTURES, 'runner');
  const r = await runRunner(t, ['--test-timeout=1500', '--file-timeout=60000', dir]);
  const hang = rel(join(dir, 'hang.test.js'));
  const mixed = rel(join(dir, 'mixed.test.js'));
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /test timed out after 1500ms/);
  assert.ok(r.stdout.includes(`✖ ${hang} › waits for a reply that never comes (timed out)`), r.stdout);
  assert.ok(r.stdout.includes(`✖ ${mixed} › fails an assertion`), r.stdout);
  assert.match(r.stdout, /✔ runs after the hang/);
  // A test that asks for longer than the default gets it.
  assert.match(r.stdout, /✔ needs longer and says so/);
  assert.match(r.stdout, /tests 7 {2}passed 4 {2}failed 2 {2}skipped 1 {2}todo 0 {2}wall \d+\.\d s/);
  assert.match(r.stdout, /slowest 7:\n(\s+\d+\.\d s {2}\S.*\n){7}/);
  assert.ok(r.stdout.includes(`s  ${mixed} › needs longer and says so`), r.stdout);
  assert.equal(lastLine(r.stdout), '4 passed, 2 failed');
});

test('whole-run bound: stops the run, names what was still running, exit non-zero', async (t) => {
  const file = join(FIXTURES, 'runner', 'hang.test.js');
  const r = await runRunner(t, ['--test-timeout=600000', '--run-timeout=3000', file]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /whole-run bound of 3 s hit; still running:/);
  assert.ok(r.stderr.includes(rel(file)), r.stderr);
  assert.match(r.stdout, /run stopped: the whole-run bound of 3 s was hit/);
  assert.match(lastLine(r.stdout), /^\d+ passed, \d+ failed$/);
});

test('cleanup: the dirs and children that failing and hung tests opened are gone after their file', async (t) => {
  const out = join(tempDir('kadchain-runner-', t).path, 'opened.jsonl');
  const r = await runRunner(t, ['--test-timeout=1500', join(FIXTURES, 'cleanup')], { FIXTURE_OUT: out });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(lastLine(r.stdout), '0 passed, 3 failed');
  const opened = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { what: string; value: string | number });
  const dirs = opened.filter((o) => o.what === 'dir').map((o) => String(o.value));
  const pids = opened.filter((o) => o.what === 'pid').map((o) => Number(o.value));
  assert.equal(dirs.length, 3);
  assert.equal(pids.length, 3);
  for (const d of dirs) assert.equal(existsSync(d), false, `${d} was left behind`);
  // SIGKILL is delivered at once but the kernel may take a moment to reap the process.
  await waitUntil('fixture children gone', () => pids.every((p) => !isAlive(p)), 10_000);
});

test('a folder without test files is refused with a non-zero exit', async (t) => {
  const empty = tempDir('kadchain-runner-empty-', t);
  const r = await runRunner(t, [empty.path]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /no test files found/);
});
