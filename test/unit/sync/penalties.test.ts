// The penalty table: one pure function from a refusal reason to a peer action. Consensus-invalid
// data bans at once, lies about the chain disconnect with points, slowness disconnects lightly,
// a block from the near future costs nothing; p2p's own wire penalties come from the same table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { penaltyFor, p2pPenalties, type RefusalReason } from '../../../src/node/index.js';
import { BAN_THRESHOLD } from '../../../src/p2p/index.js';

test('penalty table: consensus-invalid bans, lies disconnect with points, slowness disconnects lightly, time-too-new is free', () => {
  for (const r of ['invalid-header', 'invalid-block', 'body-mismatch', 'malformed-header'] as RefusalReason[]) {
    assert.ok(penaltyFor(r).points >= BAN_THRESHOLD, `${r} bans`);
  }
  for (const r of ['work-claim-unproven', 'headers-not-connecting', 'withheld-bodies', 'inv-flood', 'low-work-headers'] as RefusalReason[]) {
    const a = penaltyFor(r);
    assert.ok(a.disconnect && a.points > 0 && a.points < BAN_THRESHOLD, `${r} disconnects with points, no instant ban`);
  }
  for (const r of ['stalling', 'headers-timeout'] as RefusalReason[]) {
    const a = penaltyFor(r);
    assert.ok(a.disconnect && a.points <= 10, `${r} disconnects lightly`);
  }
  assert.deepEqual(penaltyFor('time-too-new'), { points: 0, disconnect: false });
});

test('penalty table: p2p wire penalties are read from the same table', () => {
  const p = p2pPenalties();
  assert.equal(p.malformed, penaltyFor('malformed').points);
  assert.equal(p.unrequested, penaltyFor('unrequested').points);
  assert.equal(p.oversize, penaltyFor('oversize').points);
  assert.equal(p.rateLimit, penaltyFor('rate-limit').points);
});
