// A child process for ed25519-pool.test.ts: one sign and one verify through a fresh pool, then it
// prints the verdict and closes it (or, given `leave-open`, leaves it for the process's exit to end). Run under V8 flags the parent chooses (a file entry, so the pool's
// worker may inherit them: `--input-type` would stop the worker from starting).
import { DatagramCryptoPool, datagramSigningKey } from '../../src/crypto/index.js';

const pool = new DatagramCryptoPool({ workers: 1 });
const key = datagramSigningKey(new Uint8Array(32).fill(7));
const sig = await pool.sign(new Uint8Array([1, 2, 3]), key);
console.log('verified', await pool.verify(new Uint8Array([1, 2, 3]), sig, key.subarray(32)));
if (process.argv[2] !== 'leave-open') await pool.close();
