// Floods through real sockets (issue 18). Pipelining without reading: against a server in a child
// process whose tip is a full block, connections pipeline GETs for the largest answers and never
// read; the server's RSS must grow by less than RSS_BOUND_MIB and /api/status must answer within a
// second meanwhile (today's code grew 148 -> 529 MiB in 30 s with the 1 MiB block and left
// /api/status unanswered for over 10 s; see `npm run bench api`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFloodTarget } from './pipeline-flood.js';

/** Stated bound on the server's RSS growth under either attack. */
const RSS_BOUND_MIB = 64;

test('pipelining without reading: thousands of pipelined GETs keep RSS within a bound and /api/status answers within a second', async (t) => {
  const target = await startFloodTarget({ blockBytes: 256 * 1024, senders: 100, perSender: 6 });
  t.after(() => target.stop());
  assert.ok(target.fullTxs > 1000, `the fullest block has ${target.fullTxs} txs`);
  // Deep: 3 connections x 1,000 requests, far past what one connection may queue.
  const deep = await target.attack({ connections: 3, requestsPerConnection: 1000, holdMs: 4000 });
  // Wide: 24 connections x 60 requests, within the queue: the gate and the shared answers hold.
  const wide = await target.attack({ connections: 24, requestsPerConnection: 60, holdMs: 4000 });
  for (const [name, r] of [['deep', deep], ['wide', wide]] as const) {
    t.diagnostic(`${name}: RSS ${r.rssBeforeMiB} -> ${r.rssPeakMiB} MiB, slowest /api/status ${r.statusMaxMs} ms over ${r.statusAnswers} answers`);
    assert.ok(r.rssPeakMiB - r.rssBeforeMiB < RSS_BOUND_MIB, `${name}: RSS grew ${r.rssPeakMiB - r.rssBeforeMiB} MiB (bound ${RSS_BOUND_MIB})`);
    assert.ok(r.statusAnswers > 0 && r.statusMaxMs >= 0 && r.statusMaxMs < 1000, `${name}: slowest /api/status ${r.statusMaxMs} ms`);
  }
});
