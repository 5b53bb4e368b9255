#!/usr/bin/env node
// Runs every compiled *.test.js under the given folders with node's test runner.
// Listing files explicitly keeps helper modules in test/ from being run as tests.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2);
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
for (const r of roots) walk(r);
const only = process.env.KADCHAIN_TEST_FILTER;
const chosen = only ? files.filter((f) => f.includes(only)) : files;
if (chosen.length === 0) {
  console.error('no test files found under', roots.join(' '));
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...chosen], { stdio: 'inherit' });
process.exit(res.status ?? 1);
