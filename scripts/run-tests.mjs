#!/usr/bin/env node
// Runs every compiled *.test.js under the given folders with node's test runner, bounded so that a
// hang fails by name instead of stalling CI: a per-test default timeout (a test that needs longer
// says so in its own options), a per-file timeout, and a whole-run bound that stops everything and
// names what was still running. Prints node's spec output, then a summary (counts, wall time, the
// slowest tests) whose last line is `N passed, N failed`; exits non-zero on any failure or timeout.
//
//   node scripts/run-tests.mjs [--test-timeout=ms] [--file-timeout=ms] [--run-timeout=ms]
//                              [--concurrency=n] <dir|file>...
// Each flag has an environment twin: KADCHAIN_TEST_TIMEOUT_MS, KADCHAIN_FILE_TIMEOUT_MS,
// KADCHAIN_RUN_TIMEOUT_MS, KADCHAIN_TEST_CONCURRENCY; KADCHAIN_TEST_FILTER keeps only the files
// whose path contains it. Listing files explicitly keeps helper modules in test/ from being run.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { TestSummary } from './test-summary.mjs';

const DEFAULTS = { testTimeout: 120_000, fileTimeout: 600_000, runTimeout: 1_200_000, concurrency: 2 };
const FLAGS = {
  '--test-timeout': ['testTimeout', 'KADCHAIN_TEST_TIMEOUT_MS'],
  '--file-timeout': ['fileTimeout', 'KADCHAIN_FILE_TIMEOUT_MS'],
  '--run-timeout': ['runTimeout', 'KADCHAIN_RUN_TIMEOUT_MS'],
  '--concurrency': ['concurrency', 'KADCHAIN_TEST_CONCURRENCY'],
};
/** After the whole-run bound, how long the runner waits for node to stop the files it aborted. */
const ABORT_GRACE_MS = 10_000;

function usage(message) {
  console.error(`run-tests: ${message}`);
  console.error('usage: node scripts/run-tests.mjs [--test-timeout=ms] [--file-timeout=ms] [--run-timeout=ms] [--concurrency=n] <dir|file>...');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { ...DEFAULTS };
  const set = (flag, raw) => {
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value <= 0) usage(`${flag} must be a positive integer, got "${raw}"`);
    opts[FLAGS[flag][0]] = value;
  };
  for (const [flag, [, env]] of Object.entries(FLAGS)) if (process.env[env]) set(flag, process.env[env]);
  const roots = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) roots.push(arg);
    else {
      const [flag, inline] = arg.split('=', 2);
      if (!(flag in FLAGS)) usage(`unknown option ${flag}`);
      set(flag, inline ?? argv[++i]);
    }
  }
  if (roots.length === 0) usage('no test folder given');
  return { opts, roots };
}

function findTestFiles(roots) {
  const files = [];
  const walk = (path) => {
    if (statSync(path).isDirectory()) for (const name of readdirSync(path).sort()) walk(join(path, name));
    else if (path.endsWith('.test.js') || path.endsWith('.test.mjs')) files.push(path);
  };
  for (const r of roots) {
    try {
      walk(r);
    } catch (err) {
      usage(`cannot read ${r}: ${err.message}`);
    }
  }
  const only = process.env.KADCHAIN_TEST_FILTER;
  return only ? files.filter((f) => f.includes(only)) : files;
}

/** Flags the file processes get: node 20's run() starts them with this process's execArgv. */
function perTestTimeoutArgs(ms) {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) return [`--test-timeout=${ms}`];
  const preload = new URL('./test-timeouts.mjs', import.meta.url);
  preload.searchParams.set('timeout', String(ms));
  return ['--expose-internals', `--import=${preload.href}`];
}

const { opts, roots } = parseArgs(process.argv.slice(2));
const files = findTestFiles(roots);
if (files.length === 0) usage(`no test files found under ${roots.join(' ')}`);

process.execArgv.push(...perTestTimeoutArgs(opts.testTimeout));
const abort = new AbortController();
const stream = run({ files, concurrency: opts.concurrency, timeout: opts.fileTimeout, forceExit: true, signal: abort.signal });
const summary = new TestSummary().attach(stream);
const report = stream.compose(spec);
report.pipe(process.stdout, { end: false });

let overran = false;
const finish = () => {
  const lines = summary.lines();
  // Before the closing `N passed, N failed`, which stays last for CI.
  if (overran) lines.splice(-1, 0, `run stopped: the whole-run bound of ${opts.runTimeout / 1000} s was hit`);
  for (const line of lines) console.log(line);
  process.exitCode = overran || summary.failed > 0 || summary.total === 0 ? 1 : 0;
};

const bound = setTimeout(() => {
  overran = true;
  console.error(`\nrun-tests: whole-run bound of ${opts.runTimeout / 1000} s hit; still running:`);
  for (const r of summary.running()) console.error(`  ${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.where}`);
  abort.abort();
  // node stops the aborted files itself; if it cannot, the bound still holds.
  setTimeout(() => {
    finish();
    process.exit(1);
  }, ABORT_GRACE_MS).unref();
}, opts.runTimeout);

await finished(report);
clearTimeout(bound);
finish();
