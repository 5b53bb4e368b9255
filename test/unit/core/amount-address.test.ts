import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fcOptions } from '../../helpers/seed.js';
import { parseCoins, formatCoins, parseUnits, encodeAddress, parseAddress, addressFromPublicKey, DecodeError, MAX_AMOUNT, transferFromJson, txToJson } from '../../../src/core/index.js';
import { testKey, transfer, testAddress } from '../../helpers/fixtures.js';

const isReason = (r: string) => (e: unknown) => e instanceof DecodeError && e.reason === r;

test('amount: parses coins exactly', () => {
  assert.equal(parseCoins('12.5'), 1_250_000_000n);
  assert.equal(parseCoins('0.00000001'), 1n);
  assert.equal(parseCoins('3'), 300_000_000n);
  assert.equal(formatCoins(1_250_000_000n), '12.5');
  assert.equal(formatCoins(1n), '0.00000001');
});
test('amount: bad-amount-format for negative, >8 decimals, overflow and junk', () => {
  for (const s of ['-1', '1.123456789', '184467440737.09551616', 'abc', '', '1e5', '01', '1.']) {
    assert.throws(() => parseCoins(s), isReason('bad-amount-format'), s);
  }
  assert.equal(parseCoins('184467440737.09551615'), MAX_AMOUNT);
  assert.throws(() => parseUnits('18446744073709551616'), isReason('bad-amount-format'));
  assert.throws(() => parseUnits(5), isReason('bad-amount-format'));
});
test('amount: format/parse round-trip', () => {
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: MAX_AMOUNT }), (u) => assert.equal(parseCoins(formatCoins(u)), u)), fcOptions(1));
});
test('address: round-trips and starts with kc1', () => {
  const a = addressFromPublicKey(testKey('alice').publicKey);
  const s = encodeAddress(a);
  assert.match(s, /^kc1/);
  assert.deepEqual(parseAddress(s), a);
});
test('address: bad-address for every one-character typo', () => {
  const s = encodeAddress(testAddress('bob'));
  const alphabet = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
  for (let i = 3; i < s.length; i++) {
    const c = s[i]!;
    const other = alphabet[(alphabet.indexOf(c) + 1) % alphabet.length]!;
    const typo = s.slice(0, i) + other + s.slice(i + 1);
    assert.throws(() => parseAddress(typo), isReason('bad-address'), typo);
  }
  assert.throws(() => parseAddress('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'), isReason('bad-address'));
  assert.throws(() => parseAddress(42), isReason('bad-address'));
});
test('tx json: transfer round-trips through the API form', () => {
  const tx = transfer('alice', testAddress('bob'), 5n, 0n, new Uint8Array(32).fill(1));
  assert.deepEqual(transferFromJson(JSON.parse(JSON.stringify(txToJson(tx)))), tx);
  assert.throws(() => transferFromJson({ ...txToJson(tx), amount: 5 }), isReason('bad-amount-format'));
  assert.throws(() => transferFromJson('x'), isReason('malformed'));
});
