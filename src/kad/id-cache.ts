// Node ids as they arrive in NODES replies: the same few hundred ids, 24 to a reply, nearly all
// already known. Each record used to cost a 32-byte copy of its id (a typed array and its buffer)
// and, in the lookup, a 64-character hex string for the same id again; in a 150-node join that was
// ~43,000 of each. Here each id is kept once, with its hex: a record's id is the shared copy (never
// written to, as no id is) and its hex is a lookup. Found by the id's first four bytes, then compared
// whole (no string made to find it). Bounded; cleared when full.
import { toHex } from '../crypto/index.js';
import { idHead } from './routing-table.js';

interface Known {
  id: Uint8Array;
  hex: string;
}

const known = new Map<number, Known>();
const KNOWN_MAX = 8192;

/** Two 32-byte ids (or keys) equal, compared in place (no string made to find one). */
export function same32(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return true;
}

function find(bytes: Uint8Array): Known {
  const tag = idHead(bytes);
  let k = known.get(tag);
  if (!k || !same32(k.id, bytes)) {
    // A copy: `bytes` may be a view of a datagram, which the cache must not keep alive.
    const id = bytes.slice();
    k = { id, hex: toHex(id) };
    if (known.size >= KNOWN_MAX) known.clear();
    known.set(tag, k);
  }
  return k;
}

/** The shared copy of a 32-byte id (`bytes` may be a view: it is not kept). */
export function internId(bytes: Uint8Array): Uint8Array {
  return find(bytes).id;
}

/** The id's hex, computed once per id. */
export function idHex(id: Uint8Array): string {
  return find(id).hex;
}
