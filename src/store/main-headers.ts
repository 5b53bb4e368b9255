// Main-chain headers by height range, for serving getheaders from a cold cache: one iterator over
// the `main` height index, then one multi-get of the header records (layout.ts `headers`, 116 bytes
// each), so a reply of 2,000 headers reads about 300 KB and never a body (Core serves headers from
// its block index the same way). A record is kept only when it hashes to the id it is stored under;
// the range stops at the first one that does not, and names it, so the caller can report the damage
// and serve what came before it (a missing height row only ends the range: a reorg may have moved it
// between the reads).
//
// A block written before header records existed has none: the run of heights without them is read
// the old way, from the bodies (each checked like any block read for a peer: storedBlockProblem),
// in multi-gets bounded in bytes (index records give each body's size). Old data dirs keep serving,
// at the old cost, with no migration at open.
import { HEADER_BYTES } from '../core/index.js';
import { bytesEqual } from '../crypto/index.js';
import { headerRecordProblem, storedBlockProblem } from './checked-block.js';
import { decodeIndexRecord, type IndexRecord } from './records.js';

type Bytes = Uint8Array;

/** Block bytes held at once by one multi-get of the body fallback (at least one body, whatever its size). */
export const MAIN_HEADERS_READ_BYTES = 4 * 1024 * 1024;

export interface MainHeader {
  height: number;
  id: Bytes;
  /** The header's canonical bytes (its own buffer: no body is kept with it). */
  bytes: Bytes;
}

export interface MainHeadersRange {
  /** Headers of consecutive heights from the first asked for, checked. */
  headers: MainHeader[];
  /**
   * The first record that failed its check (the range stops before it): damage for the caller to
   * report. `record` says which: the header record, or (for a block without one) the body.
   */
  damaged?: { height: number; id: Bytes; problem: string; record: 'header' | 'block' };
}

/** The reads the range needs (ChainStore's, with its error mapping). */
export interface MainHeadersReads {
  mainIds(from: number, limit: number): Promise<[number, Bytes][]>;
  getMany(name: 'headers' | 'index' | 'blocks', keys: Bytes[]): Promise<(Bytes | undefined)[]>;
}

/**
 * Headers at heights `from`, `from + 1`, ... while the main chain has them: at most `max`, ending
 * with the one whose id is `stop` when it comes first. A gap in the height index ends the range.
 */
export async function readMainHeaders(reads: MainHeadersReads, from: number, max: number, stop?: Bytes, readBytes = MAIN_HEADERS_READ_BYTES): Promise<MainHeadersRange> {
  const out: MainHeader[] = [];
  if (max <= 0) return { headers: out };
  const rows = await reads.mainIds(from, max);
  // Heights must follow on: a missing row ends the range (the caller's tip bound does the rest).
  let n = 0;
  while (n < rows.length && rows[n]![0] === from + n && rows[n]![1].length === 32) n++;
  if (stop) {
    const at = rows.findIndex((r, i) => i < n && bytesEqual(r[1], stop));
    if (at >= 0) n = at + 1;
  }
  const ids = rows.slice(0, n).map((r) => r[1]);
  const records = ids.length ? await reads.getMany('headers', ids) : [];
  for (let k = 0; k < ids.length; ) {
    const id = ids[k]!;
    const record = records[k];
    if (record) {
      const problem = headerRecordProblem(id, record);
      if (problem) return { headers: out, damaged: { height: from + k, id, problem, record: 'header' } };
      out.push({ height: from + k, id, bytes: record });
      k++;
      continue;
    }
    // No record (written before them): this run of heights comes from the bodies.
    let j = k + 1;
    while (j < ids.length && !records[j]) j++;
    const old = await headersFromBodies(reads, ids.slice(k, j), from + k, readBytes);
    for (const h of old.headers) out.push(h);
    if (old.headers.length < j - k) return old.damaged ? { headers: out, damaged: old.damaged } : { headers: out };
    k = j;
  }
  return { headers: out };
}

/** The headers of main-chain blocks `ids` (heights from `from`) read from their bodies, checked. */
async function headersFromBodies(reads: MainHeadersReads, ids: Bytes[], from: number, readBytes: number): Promise<MainHeadersRange> {
  const out: MainHeader[] = [];
  const recs = (await reads.getMany('index', ids)).map(decodeOrUndefined);
  for (let i = 0; i < ids.length; ) {
    // One multi-get of bodies up to the byte bound (sizes from the index records; an unknown size counts as the bound).
    let j = i;
    let bytes = 0;
    do bytes += recs[j]?.size ?? readBytes;
    while (++j < ids.length && bytes + (recs[j]?.size ?? readBytes) <= readBytes);
    const bodies = await reads.getMany('blocks', ids.slice(i, j));
    for (let k = i; k < j; k++) {
      const id = ids[k]!;
      const body = bodies[k - i];
      const height = from + k;
      // Gone since the height index was read (a reorg meanwhile) ends the range, as a gap does.
      if (!body) return { headers: out };
      const problem = storedBlockProblem(id, body, recs[k]);
      if (problem) return { headers: out, damaged: { height, id, problem, record: 'block' } };
      out.push({ height, id, bytes: body.slice(0, HEADER_BYTES) });
    }
    i = j;
  }
  return { headers: out };
}

/** An index record that does not decode only costs the full check (as for a single read). */
function decodeOrUndefined(b: Bytes | undefined): IndexRecord | undefined {
  if (!b) return undefined;
  try {
    return decodeIndexRecord(b);
  } catch {
    return undefined;
  }
}
