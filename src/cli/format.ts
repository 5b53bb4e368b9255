// Plain-text output for people: aligned tables and key/value blocks, coin amounts, ages and hash
// rates. Machine output is `--json`, which prints the API's JSON unchanged (base-unit strings).
// Text from a node is untrusted: every table cell, value, error line and JSON document printed here
// goes through `clean`, so a hostile node cannot clear the screen, recolour, move the cursor or
// reorder text (bidi overrides) on the user's terminal.
import { formatCoins } from '../core/index.js';

// C0 controls (newlines too: one value, one line), DEL, C1 controls (0x9b is an 8-bit CSI), line and
// paragraph separators, bidi embeddings/overrides/isolates, and the BOM / zero-width no-break space.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/g;

// What JSON.stringify leaves raw (it already escapes C0 inside strings; its own newlines must stay).
const UNSAFE_IN_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ufeff]/g;

/** Server-supplied text made safe for a terminal: control and bidi characters removed. */
export function clean(text: string): string {
  return String(text).replace(UNSAFE, '');
}

/** Like clean, keeping line breaks (for multi-line output we built ourselves). */
export function cleanLines(text: string): string {
  return String(text).split('\n').map(clean).join('\n');
}

/** Columns padded to their widest cell, two spaces apart; no trailing spaces. */
export function table(headers: string[], rawRows: string[][]): string {
  const rows = rawRows.map((r) => r.map(clean));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** "key   value" lines with the keys padded to one width. */
export function keyValues(pairs: [string, string][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${clean(v)}`).join('\n');
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

/** JSON.stringify escapes C0 controls; the other unsafe characters are escaped here (still valid JSON). */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNSAFE_IN_JSON, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
