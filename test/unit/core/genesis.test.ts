import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { genesisFromJson, parseGenesis, paramsToJson, buildGenesis, DecodeError, MAX_RELAYABLE_BLOCK_BYTES, WIRE_MAX_PAYLOAD, WIRE_BLOCK_FRAMING } from '../../../src/core/index.js';
import { testParams } from '../../helpers/fixtures.js';

const file = JSON.parse(readFileSync(new URL('../../../../genesis.json', import.meta.url), 'utf8'));

test('genesis: the repository genesis hash is stable (golden value)', () => {
  const g = genesisFromJson(file);
  assert.equal(g.idHex, 'c2b9ebe6f2d83c5f6f0ed7910dd3dd5db96637c271c6fe9ecdfb67db31b6feec');
  assert.equal(genesisFromJson(structuredClone(file)).idHex, g.idHex);
});
test('genesis: any parameter change changes the chain id', () => {
  const base = genesisFromJson(file).idHex;
  assert.notEqual(genesisFromJson({ ...file, blockReward: '1' }).idHex, base);
  assert.notEqual(genesisFromJson({ ...file, retargetInterval: 11 }).idHex, base);
});
test('genesis: params round-trip through the file form', () => {
  const p = testParams();
  assert.equal(buildGenesis(parseGenesis(paramsToJson(p))).idHex, buildGenesis(p).idHex);
});
test('genesis: bad-genesis names the file and the field', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ ...file, initialTarget: 'zz' }, 'initialTarget'],
    [{ ...file, retargetInterval: 0 }, 'retargetInterval'],
    [{ ...file, blockReward: -5 }, 'blockReward'],
    [{ ...file, alloc: { kc1nope: '5' } }, 'alloc.kc1nope'],
    [{ ...file, surprise: 1 }, '(root)'],
  ];
  for (const [json, field] of cases) {
    assert.throws(() => parseGenesis(json, 'my-genesis.json'), (e: unknown) => {
      assert.ok(e instanceof DecodeError);
      assert.equal(e.reason, 'bad-genesis');
      assert.match(e.message, /^my-genesis\.json: field "/);
      assert.ok(e.message.includes(field), `${e.message} should name ${field}`);
      return true;
    });
  }
  const { network: _n, ...missing } = file;
  assert.throws(() => parseGenesis(missing, 'g.json'), /g\.json: field "network"/);
});
test('genesis: initialTarget above powLimit is refused', () => {
  assert.throws(() => parseGenesis({ ...file, initialTarget: 'f'.repeat(64) }), /initialTarget/);
});

test('genesis sanity: every bound is refused with the field and the bound named', () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ ...file, retargetInterval: 1 }, 'retargetInterval', /at least 2/],
    [{ ...file, maxBlockBytes: 4 * 1024 * 1024 }, 'maxBlockBytes', new RegExp(`at most ${MAX_RELAYABLE_BLOCK_BYTES}.*${WIRE_MAX_PAYLOAD}-byte WebSocket maxPayload`)],
    [{ ...file, maxBlockBytes: 100 }, 'maxBlockBytes', /at least 1024/],
    [{ ...file, initialTarget: 'f'.repeat(64) }, 'initialTarget', /at most powLimit/],
    [{ ...file, powLimit: '0'.repeat(64), initialTarget: '0'.repeat(64) }, 'powLimit', /non-zero/],
    [{ ...file, blockReward: '18446744073709551615' }, 'blockReward', /2\^64-1/],
    [{ ...file, halvingInterval: 0 }, 'halvingInterval', /positive/],
    [{ ...file, maxAdjustment: 1 }, 'maxAdjustment', /at least 2/],
    [{ ...file, maxFutureDriftMs: 0 }, 'maxFutureDriftMs', /at least 1000/],
    [{ ...file, targetBlockTimeMs: 0 }, 'targetBlockTimeMs', /positive/],
    [{ ...file, alloc: { kc1qqqq: '1' } }, 'alloc.kc1qqqq', /./],
  ];
  for (const [json, field, bound] of cases) {
    assert.throws(() => parseGenesis(json, 'bad.json'), (e: unknown) => {
      assert.ok(e instanceof DecodeError, String(e));
      assert.ok(e.message.startsWith(`bad.json: field "${field}"`), `${e.message} should name ${field}`);
      assert.match(e.message, bound);
      return true;
    });
  }
  // The largest relayable block size is accepted: framing included, it fits one message.
  assert.equal(parseGenesis({ ...file, maxBlockBytes: MAX_RELAYABLE_BLOCK_BYTES }).maxBlockBytes + WIRE_BLOCK_FRAMING, WIRE_MAX_PAYLOAD);
});
