// Child process of the connRate bench section: a P2PNetwork listener on 127.0.0.1:0 in a process
// of its own, so the CPU it spends on a reconnect loop is measured apart from the attacker's.
//   node conn-rate-child.js limited|unlimited|global
// limited: the per-source connect rate on for loopback; global: the default limits (loopback exempt
// from the per-source rate, the global handshake budget on); unlimited: neither.
// Prints {port}; on a "start" line on stdin starts counting CPU; on "report" prints
// {cpuUs, handshakes, throttled, busy} and exits.
import { createInterface } from 'node:readline';
import { generateKeyPair } from '../src/crypto/index.js';
import { P2PNetwork } from '../src/p2p/index.js';

const mode = process.argv[2];
const out = (o: unknown): boolean => process.stdout.write(JSON.stringify(o) + '\n');

const net = new P2PNetwork({
  secretKey: generateKeyPair().secretKey, genesisHash: new Uint8Array(32).fill(1), host: '127.0.0.1', port: 0,
  getTip: () => ({ id: new Uint8Array(32), height: 0, work: 0n }),
  // Loopback stands in for one public source; the default budget otherwise. The reference turns the
  // global handshake budget off too, so that it measures a listener with no inbound rate at all.
  limits: mode === 'global' ? {} : { limitLocalConnectRate: mode === 'limited', ...(mode === 'unlimited' ? { inboundHandshakesPerSecond: 1e9, inboundHandshakeBurst: 1e9 } : {}) },
});
let handshakes = 0;
net.on('peer:connected', () => handshakes++);
await net.start();
out({ port: net.port });
let from = process.cpuUsage();
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = line.trim();
  if (cmd === 'start') {
    handshakes = 0;
    from = process.cpuUsage();
    out({ started: 1 });
  } else if (cmd === 'report') {
    const d = process.cpuUsage(from);
    out({ cpuUs: d.user + d.system, handshakes, throttled: net.stats().connectsThrottled, busy: net.stats().handshakesThrottled });
    await net.stop();
    process.exit(0);
  }
}
