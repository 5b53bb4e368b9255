// Number and time formatting for the explorer (pure; no DOM).
export function rate(hps: number): string {
  if (!(hps > 0)) return '0 H/s';
  const units = ['H/s', 'kH/s', 'MH/s', 'GH/s', 'TH/s', 'PH/s'];
  let i = 0;
  while (hps >= 1000 && i < units.length - 1) {
    hps /= 1000;
    i++;
  }
  return `${hps.toFixed(hps < 10 ? 2 : hps < 100 ? 1 : 0)} ${units[i]}`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

export function age(ms: number, now = Date.now()): string {
  return `${duration(Math.max(0, now - ms))} ago`;
}

export function short(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 10)}…${hex.slice(-4)}` : hex;
}

export function difficulty(d: number): string {
  if (!Number.isFinite(d)) return '∞';
  return d >= 1e6 ? d.toExponential(3) : d >= 100 ? d.toFixed(0) : d.toFixed(3);
}

const UNITS = 100_000_000n;

/** Base units (decimal string) as coins with up to 8 decimals; anything unparsable shown as is. */
export function coins(units: string): string {
  let u: bigint;
  try {
    u = BigInt(units);
  } catch {
    return units;
  }
  const neg = u < 0n;
  if (neg) u = -u;
  const frac = (u % UNITS).toString().padStart(8, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${u / UNITS}${frac ? `.${frac}` : ''}`;
}

export function shortAddr(a: string): string {
  return a.length > 20 ? `${a.slice(0, 11)}…${a.slice(-5)}` : a;
}

/** An absolute UTC time, second precision. */
export function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

export function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1_048_576 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1_048_576).toFixed(2)} MiB`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A 256-bit target (hex) as a float; NaN when it is not hex. */
export function targetNum(hex: string): number {
  return /^[0-9a-f]+$/i.test(hex) ? Number(BigInt('0x' + hex)) : NaN;
}
