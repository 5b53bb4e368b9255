// Removes compiled files under dist/ whose TypeScript source is gone. tsc's incremental build never
// deletes output, so a deleted or renamed test would otherwise keep running from a stale .js.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.cwd();
const dist = join(root, 'dist');
const OUTPUT = /\.(js|js\.map|d\.ts|d\.ts\.map)$/;
let removed = 0;

function walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      walk(p);
      continue;
    }
    if (!OUTPUT.test(e.name)) continue;
    const source = join(root, relative(dist, p)).replace(OUTPUT, '.ts');
    if (!existsSync(source) && !existsSync(source.replace(/\.ts$/, '.mts')) && !existsSync(source.replace(/\.ts$/, '.js'))) {
      rmSync(p);
      removed++;
    }
  }
}

for (const top of ['src', 'test', 'bench']) if (existsSync(join(dist, top))) walk(join(dist, top));
if (removed) console.log(`prune-stale-dist: removed ${removed} stale compiled file(s)`);
