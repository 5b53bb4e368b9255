// Serves the explorer's compiled ES modules (src/explorer -> dist/src/explorer) at /explorer/*.js.
// The folder is listed once, on first use; only those files are served, each read once and kept
// (the set is small and fixed at build time), so a request can never reach another path, and a
// scanner's misses cost no disk reads.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const DIR = fileURLToPath(new URL('../explorer/', import.meta.url));
let files: Map<string, string> | undefined;

function load(): Map<string, string> {
  const out = new Map<string, string>();
  try {
    for (const rel of readdirSync(DIR, { recursive: true }).map(String)) {
      if (/^(views\/)?[a-z][a-z0-9-]*\.js$/.test(rel)) out.set(`/explorer/${rel}`, readFileSync(join(DIR, rel), 'utf8'));
    }
  } catch {
    // No compiled explorer (a partial build): the page shell loads but shows no data.
  }
  return out;
}

export function explorerModule(path: string): [string, string] | undefined {
  if (!path.startsWith('/explorer/')) return undefined;
  files ??= load();
  const text = files.get(path);
  return text === undefined ? undefined : [text, 'text/javascript; charset=utf-8'];
}
