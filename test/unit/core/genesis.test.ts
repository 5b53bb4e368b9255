import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { genesisFromJson, parseGenesis, paramsToJson, buildGenesis, DecodeError } from '../../../src/core/index.js';
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
