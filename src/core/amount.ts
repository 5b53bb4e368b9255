// Amounts: bigint base units (1 coin = 10^8 units), capped at u64; exact decimal parse/format.
import { DecodeError } from './errors.js';

export const UNITS_PER_COIN = 100_000_000n;
export const MAX_AMOUNT = (1n << 64n) - 1n;
const COIN_RE = /^(0|[1-9][0-9]*)(?:\.([0-9]{1,8}))?$/;

/** Parse a coin amount like "12.5" into units; refuses negatives, >8 decimals, overflow and junk. */
export function parseCoins(text: string): bigint {
  const s = typeof text === 'string' ? text.trim() : '';
  const m = COIN_RE.exec(s);
  if (!m) {
    const why = /^-/.test(s) ? 'negative' : /\.[0-9]{9,}$/.test(s) ? 'more than 8 decimal places' : 'not a decimal number';
    throw new DecodeError('bad-amount-format', `expected a coin amount like "12.5", got ${JSON.stringify(text)} (${why})`);
  }
  const units = BigInt(m[1]!) * UNITS_PER_COIN + BigInt((m[2] ?? '').padEnd(8, '0') || '0');
  if (units > MAX_AMOUNT) throw new DecodeError('bad-amount-format', `expected at most ${formatCoins(MAX_AMOUNT)} coins, got ${s}`);
  return units;
}

/** Format units as coins with no trailing zeros ("12.5", "0.00000001", "3"). */
export function formatCoins(units: bigint): string {
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const whole = abs / UNITS_PER_COIN;
  const frac = (abs % UNITS_PER_COIN).toString().padStart(8, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + whole.toString() + (frac ? '.' + frac : '');
}

/** Parse base units from a JSON decimal string ("1250000000"). */
export function parseUnits(text: unknown): bigint {
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(text)) {
    throw new DecodeError('bad-amount-format', `expected base units as a decimal string, got ${JSON.stringify(text)}`);
  }
  const v = BigInt(text);
  if (v > MAX_AMOUNT) throw new DecodeError('bad-amount-format', `expected at most ${MAX_AMOUNT} units, got ${text}`);
  return v;
}
