// The request layer's round-trip estimate (rpc.ts) on a virtual clock: what it samples decides every
// per-attempt timeout, so a sample that counts two round trips as one doubles them all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SimClock, type DecodedPacket } from '../../../src/kad/index.js';
import { Rpc } from '../../../src/kad/rpc.js';

const PEER = { host: '127.0.0.1', port: 4000, idHex: 'ab'.repeat(32) };

function answer(requestId: bigint): DecodedPacket {
  return { requestId, expiry: Number.MAX_SAFE_INTEGER, senderKey: new Uint8Array(32), senderId: new Uint8Array(32), senderHex: PEER.idHex, body: { type: 'nodes', total: 1, nodes: [] } };
}

/** Runs `n` FIND_NODE exchanges of one 50 ms round trip each; `bondFirst`: the peer pings us to bond first (a second round trip). */
async function exchanges(n: number, bondFirst: boolean): Promise<number> {
  const clock = new SimClock();
  let lastId = 0n;
  const rpc = new Rpc(clock, () => 0.5, (_h, _p, id) => (lastId = id), { attempts: 2, timeoutMs: 500 });
  for (let i = 0; i < n; i++) {
    const res = rpc.request(PEER.host, PEER.port, { type: 'find-node', target: new Uint8Array(32) }, ['nodes'], { expectId: PEER.idHex, roundTrips: bondFirst ? 2 : 1 });
    const id = lastId;
    if (bondFirst) clock.setTimeout(() => assert.equal(rpc.progress(PEER.host, PEER.port, PEER.idHex), true), 50);
    clock.setTimeout(() => assert.equal(rpc.handleResponse(answer(id), PEER.host, PEER.port), true), bondFirst ? 100 : 50);
    await clock.run();
    assert.ok(await res, 'answered');
  }
  return rpc.timeoutMs;
}

test('rtt estimate: an answer that waited for the peer\'s bond PING is sampled as one round trip, not two', async () => {
  const plain = await exchanges(12, false);
  const bonding = await exchanges(12, true);
  // Same network, same 50 ms round trip: the same timeout (the old sample made it twice as long).
  assert.equal(bonding, plain);
  assert.ok(plain < 200, `timeout ${plain} ms for a 50 ms round trip`);
});
