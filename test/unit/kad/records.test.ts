// NODES records as decoded: each id is the one shared copy of that id (kad/id-cache.ts) and each
// IPv4 address one shared text, never a view of the datagram they came in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sha256, toHex } from '../../../src/crypto/index.js';
import { decodePacket, encodePacket } from '../../../src/kad/index.js';
import { kadKey } from './kad-helpers.js';

const key = kadKey('records');
const records = Array.from({ length: 24 }, (_, i) => ({ id: sha256(new Uint8Array([i])), host: `10.0.${i}.1`, port: 30_000 + i }));
const nodesPacket = (): Uint8Array => encodePacket({ requestId: 7n, expiry: Date.now() + 20_000, body: { type: 'nodes', total: 1, nodes: records } }, key.secretKey, key.publicKey);

test('decoded NODES records: ids and addresses survive the datagram being overwritten, and two replies share one copy of each id', () => {
  const bytes = nodesPacket();
  const a = decodePacket(bytes, Date.now());
  assert.ok(typeof a !== 'string' && a.body.type === 'nodes');
  // The receive buffer is reused or freed after the handler: nothing decoded may alias it.
  bytes.fill(0xee);
  assert.deepEqual(a.body.nodes.map((n) => [toHex(n.id), n.host, n.port]), records.map((r) => [toHex(r.id), r.host, r.port]));
  const b = decodePacket(nodesPacket(), Date.now());
  assert.ok(typeof b !== 'string' && b.body.type === 'nodes');
  for (let i = 0; i < records.length; i++) {
    assert.equal(b.body.nodes[i]!.id, a.body.nodes[i]!.id, `record ${i}: the same id object, not a fresh copy`);
    assert.equal(b.body.nodes[i]!.host, a.body.nodes[i]!.host);
  }
});
