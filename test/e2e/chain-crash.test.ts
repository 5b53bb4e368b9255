// Crash safety: SIGKILL a process that connects blocks and reorgs, at seeded random moments, and
// check the store invariants after every reopen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { addressFromPublicKey } from '../../src/core/index.js';
import { toHex } from '../../src/crypto/index.js';
import { BlockStatus } from '../../src/store/index.js';
import { testGenesis, testKey, prng } from '../helpers/fixtures.js';
import { tempDir, checkInvariants, openChainAt } from '../helpers/chain-helpers.js';
import { spawnTracked } from '../helpers/cleanup.js';

const g = testGenesis({ alloc: [{ address: addressFromPublicKey(testKey('alice').publicKey), amount: 1_000_000_000n }] });
const worker = fileURLToPath(new URL('../helpers/crash-worker.js', import.meta.url));
const KILLS = 24;

test(`crash: ${KILLS} SIGKILLs at random moments leave a consistent store`, { timeout: 240_000 }, async () => {
  const dir = tempDir();
  const rnd = prng(20261125);
  let lastHeight = 0;
  let grew = 0;
  try {
    for (let i = 0; i < KILLS; i++) {
      const child = spawnTracked(worker, [dir.path, String(i + 1)]);
      const exited = once(child, 'exit');
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('worker did not start')), 30_000);
        child.stdout!.once('data', () => { clearTimeout(t); resolve(); });
      });
      await new Promise((r) => setTimeout(r, 50 + Math.floor(rnd() * 400))); // the random kill moment
      child.kill('SIGKILL');
      const [code, signal] = await exited;
      assert.equal(signal, 'SIGKILL', `worker exited on its own (code ${code})`);
      const chain = await openChainAt(dir.path, g);
      try {
        const rep = await checkInvariants(chain, g);
        // Tip = most-work block that is not known invalid.
        // Every index record, pruned side blocks included (chain.entry hides those).
        for await (const [key, rec] of chain.store.indexRecords()) {
          if (rec.status !== BlockStatus.Invalid) assert.ok(rec.work <= chain.tip.work, `stored block ${toHex(key)} has more work than the tip`);
        }
        if (rep.height > lastHeight) grew++;
        lastHeight = rep.height;
      } finally {
        await chain.close();
      }
    }
    assert.ok(grew >= KILLS / 2, `the chain should keep growing across kills (grew ${grew} times)`);
  } finally {
    dir.cleanup();
  }
});
