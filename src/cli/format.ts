// Plain-text output for people: aligned tables and key/value blocks, coin amounts, ages and hash
// rates. Machine output is `--json`, which prints the API's JSON unchanged (base-unit strings).
import { formatCoins } from '../core/index.js';

/** Columns padded to their widest cell, two spaces apart; no trailing spaces. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** "key   value" lines with the keys padded to one width. */
export function keyValues(pairs: [string, string][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

/** Base units (decimal string) as coins: "1250000000" -> "12.5". */
export function coins(units: string | bigint): string {
  return formatCoins(typeof units === 'bigint' ? units : BigInt(units));
}

export function ago(ms: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ago` : `${Math.floor(h / 24)} d ago`;
}

export function when(ms: number): string {
  return `${new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} (${ago(ms)})`;
}

export function hashrate(h: number): string {
  const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s'];
  let i = 0;
  while (h >= 1000 && i < units.length - 1) {
    h /= 1000;
    i++;
  }
  return `${i ? h.toFixed(2) : Math.round(h)} ${units[i]}`;
}

export function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / (1 << 20)).toFixed(2)} MiB`;
}

export function shortId(id: string): string {
  return id.length > 20 ? `${id.slice(0, 16)}…` : id;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
