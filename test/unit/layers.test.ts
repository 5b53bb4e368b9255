// The layer rule of DESIGN.md as a test: no module imports a layer above its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const src = join(root, 'src');
const allowed: Record<string, string[]> = {
  crypto: ['log'], core: ['crypto', 'log'], store: ['core', 'crypto', 'log'], chain: ['store', 'core', 'crypto', 'log'],
  mempool: ['chain', 'core', 'crypto', 'log'], kad: ['crypto', 'core', 'log'], p2p: ['core', 'crypto', 'log'],
  miner: ['chain', 'mempool', 'core', 'crypto', 'log'],
  sync: ['p2p', 'chain', 'store', 'core', 'crypto', 'log'],
  api: ['chain', 'mempool', 'core', 'crypto', 'store', 'miner', 'p2p', 'kad', 'sync', 'log'],
  node: ['sync', 'miner', 'p2p', 'kad', 'mempool', 'chain', 'store', 'core', 'crypto', 'api', 'log'],
  cli: ['node', 'api', 'sync', 'miner', 'p2p', 'kad', 'mempool', 'chain', 'store', 'core', 'crypto', 'log'],
  // The explorer runs in the browser: it shares only the API's JSON types (type-only, checked below).
  explorer: ['api'],
  log: [],
};

test('layers: no upward imports in src/', () => {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ts$/.test(e)) files.push(p);
    }
  };
  walk(src);
  assert.ok(files.length > 10, 'expected to find the sources');
  const violations: string[] = [];
  for (const f of files) {
    const from = relative(src, f).split(sep)[0]!;
    assert.ok(from in allowed, `unknown layer folder ${from}/ (add it to DESIGN.md and this test)`);
    for (const m of readFileSync(f, 'utf8').matchAll(/(?:import|export)[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
      const target = resolve(dirname(f), (m[1] ?? m[2])!);
      if (!target.startsWith(src + sep)) continue;
      const to = relative(src, target).split(sep)[0]!;
      if (to !== from && !allowed[from]!.includes(to)) violations.push(`${relative(root, f)} imports ${to}/`);
    }
  }
  assert.deepEqual(violations, []);
});

test('layers: the explorer imports the api only for types (nothing of the node runs in the page)', () => {
  const dir = join(src, 'explorer');
  const files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 5, 'expected the explorer modules');
  const bad: string[] = [];
  for (const f of files) {
    for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/^\s*(import|export)\b([^;]*?)from\s*['"]([^'"]+)['"]/gm)) {
      const spec = m[3]!;
      if (!spec.startsWith('.')) bad.push(`${f}: imports package ${spec} (the page loads no packages)`);
      else if (resolve(dirname(join(dir, f)), spec).startsWith(join(src, 'api')) && !/^\s*(import|export)\s+type\b/.test(m[0])) bad.push(`${f}: value import from api/`);
    }
  }
  assert.deepEqual(bad, []);
});
