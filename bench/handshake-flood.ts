// The global inbound handshake budget: 64 source addresses (127.0.0.2-65, every 127/8 address is
// loopback on Linux) taking turns to reconnect (connect, full handshake, close, a fresh key each
// time), so that no per-source rate applies, 12 at a time (under the half-open budget of 16, which
// would otherwise evict most of them before their proof), against a listener in its own process with the
// default limits and, as the reference in the same run, with no inbound rate at all. Reports the
// handshakes each served per second of flood and the listener's CPU per attempt.
import { againstListener, attempt } from './conn-rate.js';

const SOURCES = 64;
const ATTEMPTS_PER_SOURCE = 16;
const IN_FLIGHT = 12;

async function flood(port: number): Promise<number> {
  let proved = 0;
  let next = 0;
  const total = SOURCES * ATTEMPTS_PER_SOURCE;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      for (let i = next++; i < total; i = next++) if (await attempt(port, `127.0.0.${(i % SOURCES) + 2}`)) proved++;
    }),
  );
  return proved;
}

export async function benchHandshakeFlood(): Promise<Record<string, unknown>> {
  const off = await againstListener('unlimited', flood);
  const on = await againstListener('global', flood);
  const attempts = SOURCES * ATTEMPTS_PER_SOURCE;
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    'handshakeFlood.attempts': attempts,
    'handshakeFlood.refUnlimitedHandshakes': off.proved,
    'handshakeFlood.handshakes': on.proved,
    'handshakeFlood.busy': on.busy,
    'handshakeFlood.refUnlimitedHandshakesPerSecond': r2(off.proved / (off.wallMs / 1000)),
    'handshakeFlood.handshakesPerSecond': r2(on.proved / (on.wallMs / 1000)),
    'handshakeFlood.refUnlimitedListenerCpuUsPerAttempt': r2(off.cpuUs / attempts),
    'handshakeFlood.listenerCpuUsPerAttempt': r2(on.cpuUs / attempts),
    'handshakeFlood.cpuPerAttemptVsUnlimited': r2(on.cpuUs / Math.max(1, off.cpuUs)),
  };
}
