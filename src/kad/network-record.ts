// Network records: a node's signed claim "I serve the network with this genesis at host:port",
// stored in the DHT under SHA-256("kadchain-network" || genesis id). A storing node accepts a
// record only from its own publisher at the address the STORE came from; a reader checks the
// signature, the key it was stored under and the expiry again.
import { ByteReader, ByteWriter } from '../core/index.js';
import { nodeIdFromPublicKey, sha256, signMessage, toHex, verifySignature } from '../crypto/index.js';
import { ip, struct, timeMs, u16, bytes, type Infer } from './schema.js';
import { normaliseIp } from './addr.js';

const KEY_DOMAIN = new TextEncoder().encode('kadchain-network');
const SIG_DOMAIN = new TextEncoder().encode('kadchain-network-record-v1');
const recordBody = struct({ publicKey: bytes(32), host: ip, port: u16, expiry: timeMs });
export type NetworkRecordBody = Infer<typeof recordBody>;
export interface NetworkRecord extends NetworkRecordBody {
  id: string; // hex node id of the publisher
}

/** The DHT key a network's records live under. */
export function networkKey(genesisId: Uint8Array): Uint8Array {
  const b = new Uint8Array(KEY_DOMAIN.length + genesisId.length);
  b.set(KEY_DOMAIN, 0);
  b.set(genesisId, KEY_DOMAIN.length);
  return sha256(b);
}

function signedBytes(key: Uint8Array, body: NetworkRecordBody): Uint8Array {
  const w = new ByteWriter(128);
  w.fixed(SIG_DOMAIN, SIG_DOMAIN.length).fixed(key, 32);
  recordBody.write(w, body);
  return w.finish();
}

export function encodeNetworkRecord(key: Uint8Array, body: NetworkRecordBody, secretKey: Uint8Array): Uint8Array {
  const w = new ByteWriter(160);
  recordBody.write(w, body);
  w.fixed(signMessage(signedBytes(key, body), secretKey), 64);
  return w.finish();
}

/** A valid record for `key`, or a reason. */
export function decodeNetworkRecord(key: Uint8Array, value: Uint8Array, now: number): NetworkRecord | 'malformed' | 'bad-signature' | 'expired' {
  let body: NetworkRecordBody;
  let sig: Uint8Array;
  try {
    const r = new ByteReader(value, 'network record');
    body = recordBody.read(r);
    sig = r.fixed(64);
    r.end();
  } catch {
    return 'malformed';
  }
  if (!verifySignature(signedBytes(key, body), sig, body.publicKey)) return 'bad-signature';
  if (body.expiry <= now) return 'expired';
  return { ...body, host: normaliseIp(body.host), id: toHex(nodeIdFromPublicKey(body.publicKey)) };
}
