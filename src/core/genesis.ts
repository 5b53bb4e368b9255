// genesis.json: schema-validated chain parameters (every error names the file and the field), and
// the genesis block built deterministically from them. The parameters are committed into the
// genesis coinbase, so two files that differ anywhere give two different chain ids.
import { z } from 'zod';
import { sha256, toHex } from '../crypto/index.js';
import { ByteWriter } from './codec.js';
import { DecodeError } from './errors.js';
import { ADDRESS_BYTES, encodeAddress, parseAddress } from './address.js';
import { MAX_AMOUNT } from './amount.js';
import { HEADER_VERSION, bigIntToTarget, headerId } from './header.js';
import { blockMerkleRoot, type Block } from './block.js';
import { MAX_RELAYABLE_BLOCK_BYTES, WIRE_BLOCK_FRAMING, WIRE_MAX_PAYLOAD } from './wire.js';
import type { CoinbaseTx } from './tx.js';

const hex256 = z.string().regex(/^(0x)?[0-9a-fA-F]{64}$/, 'expected 64 hex characters (a 256-bit number)');
const units = z.string().regex(/^(0|[1-9][0-9]*)$/, 'expected base units as a decimal string').refine((s) => BigInt(s) <= MAX_AMOUNT, 'expected at most 2^64-1 units');
const posInt = (max: number) => z.number().int('expected an integer').positive('expected a positive integer').max(max, `expected at most ${max}`);

export const GenesisFileSchema = z
  .object({
    network: z.string().min(1).max(64).regex(/^[a-z0-9._-]+$/i, 'expected letters, digits, ".", "_" or "-"'),
    timestamp: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
    initialTarget: hex256,
    powLimit: hex256,
    targetBlockTimeMs: posInt(86_400_000),
    // A one-block window measures no interval: such a network never retargets.
    retargetInterval: z.number().int('expected an integer').min(2, 'expected at least 2 (a 1-block window never retargets)').max(1_000_000, 'expected at most 1000000'),
    maxAdjustment: z.number().int().min(2, 'expected at least 2').max(16, 'expected at most 16'),
    blockReward: units,
    halvingInterval: posInt(0xffffffff),
    // A block the rules allow must fit one WebSocket message, or it could never be relayed.
    maxBlockBytes: z
      .number()
      .int('expected an integer')
      .min(1024, 'expected at least 1024')
      .max(MAX_RELAYABLE_BLOCK_BYTES, `expected at most ${MAX_RELAYABLE_BLOCK_BYTES} (maxBlockBytes + ${WIRE_BLOCK_FRAMING} bytes of framing must fit the ${WIRE_MAX_PAYLOAD}-byte WebSocket maxPayload)`),
    // Below a second, ordinary clock skew between honest nodes would hold every fresh block.
    maxFutureDriftMs: z.number().int('expected an integer').min(1000, 'expected at least 1000').max(86_400_000, 'expected at most 86400000'),
    alloc: z.record(z.string(), units).default({}),
    extraData: z.string().max(64).default(''),
  })
  .strict();

export type GenesisFile = z.input<typeof GenesisFileSchema>;

export interface AllocEntry {
  address: Uint8Array;
  amount: bigint;
}

/** Consensus parameters, typed for use (bigints, bytes). */
export interface ChainParams {
  network: string;
  timestamp: number;
  initialTarget: bigint;
  powLimit: bigint;
  targetBlockTimeMs: number;
  retargetInterval: number;
  maxAdjustment: number;
  blockReward: bigint;
  halvingInterval: number;
  maxBlockBytes: number;
  maxFutureDriftMs: number;
  alloc: AllocEntry[];
  extraData: string;
}

export interface Genesis {
  params: ChainParams;
  block: Block;
  /** Genesis block id = chain id; signatures commit to it. */
  id: Uint8Array;
  idHex: string;
}

/** Validate parsed JSON; `source` names the file in every message. */
export function parseGenesis(json: unknown, source = 'genesis.json'): ChainParams {
  const res = GenesisFileSchema.safeParse(json);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const field = issue.path.length ? issue.path.join('.') : '(root)';
    throw new DecodeError('bad-genesis', `${source}: field "${field}": ${issue.message}`, { source, field });
  }
  const g = res.data;
  const initialTarget = BigInt('0x' + g.initialTarget.replace(/^0x/, ''));
  const powLimit = BigInt('0x' + g.powLimit.replace(/^0x/, ''));
  if (powLimit === 0n) throw new DecodeError('bad-genesis', `${source}: field "powLimit": expected a non-zero target`, { source, field: 'powLimit' });
  if (initialTarget === 0n) throw new DecodeError('bad-genesis', `${source}: field "initialTarget": expected a non-zero target`, { source, field: 'initialTarget' });
  if (initialTarget > powLimit) throw new DecodeError('bad-genesis', `${source}: field "initialTarget": expected at most powLimit (${g.powLimit})`, { source, field: 'initialTarget' });
  const alloc: AllocEntry[] = [];
  let total = 0n;
  for (const [addr, amount] of Object.entries(g.alloc)) {
    let address: Uint8Array;
    try {
      address = parseAddress(addr);
    } catch (e) {
      throw new DecodeError('bad-genesis', `${source}: field "alloc.${addr}": ${(e as Error).message}`, { source, field: `alloc.${addr}` });
    }
    total += BigInt(amount);
    alloc.push({ address, amount: BigInt(amount) });
  }
  if (total > MAX_AMOUNT) throw new DecodeError('bad-genesis', `${source}: field "alloc": total exceeds 2^64-1 units`, { source, field: 'alloc' });
  // Every coin that can ever exist (alloc + the geometric sum of rewards) must fit a balance.
  const blockReward = BigInt(g.blockReward);
  const maxSupply = total + 2n * blockReward * BigInt(g.halvingInterval);
  if (maxSupply > MAX_AMOUNT) {
    throw new DecodeError('bad-genesis', `${source}: field "blockReward": alloc + 2 x blockReward x halvingInterval must be at most 2^64-1 units, got ${maxSupply}`, { source, field: 'blockReward' });
  }
  alloc.sort((a, b) => (toHex(a.address) < toHex(b.address) ? -1 : 1));
  return {
    network: g.network,
    timestamp: g.timestamp,
    initialTarget,
    powLimit,
    targetBlockTimeMs: g.targetBlockTimeMs,
    retargetInterval: g.retargetInterval,
    maxAdjustment: g.maxAdjustment,
    blockReward: BigInt(g.blockReward),
    halvingInterval: g.halvingInterval,
    maxBlockBytes: g.maxBlockBytes,
    maxFutureDriftMs: g.maxFutureDriftMs,
    alloc,
    extraData: g.extraData,
  };
}

/** Canonical binary form of the parameters (committed into the genesis coinbase). */
export function encodeParams(p: ChainParams): Uint8Array {
  const w = new ByteWriter(512);
  w.varBytes16(new TextEncoder().encode(p.network));
  w.u64(BigInt(p.timestamp));
  w.fixed(bigIntToTarget(p.initialTarget), 32).fixed(bigIntToTarget(p.powLimit), 32);
  w.u64(BigInt(p.targetBlockTimeMs)).u32(p.retargetInterval).u32(p.maxAdjustment);
  w.u64(p.blockReward).u32(p.halvingInterval).u32(p.maxBlockBytes).u64(BigInt(p.maxFutureDriftMs));
  w.u32(p.alloc.length);
  for (const a of p.alloc) w.fixed(a.address, ADDRESS_BYTES).u64(a.amount);
  w.varBytes16(new TextEncoder().encode(p.extraData));
  return w.finish();
}

export function buildGenesis(params: ChainParams): Genesis {
  const coinbase: CoinbaseTx = {
    kind: 'coinbase',
    height: 0,
    to: new Uint8Array(ADDRESS_BYTES),
    amount: 0n,
    extraNonce: 0n,
    extraData: sha256(encodeParams(params)),
  };
  const txs = [coinbase];
  const block: Block = {
    header: {
      version: HEADER_VERSION,
      height: 0,
      prevHash: new Uint8Array(32),
      merkleRoot: blockMerkleRoot(txs),
      timestamp: params.timestamp,
      target: bigIntToTarget(params.initialTarget),
      nonce: 0,
    },
    txs,
  };
  const id = headerId(block.header);
  return { params, block, id, idHex: toHex(id) };
}

export function genesisFromJson(json: unknown, source?: string): Genesis {
  return buildGenesis(parseGenesis(json, source));
}

/** Back to the file form (for writing test genesis files). */
export function paramsToJson(p: ChainParams): GenesisFile {
  const alloc: Record<string, string> = {};
  for (const a of p.alloc) alloc[encodeAddress(a.address)] = a.amount.toString();
  return {
    network: p.network,
    timestamp: p.timestamp,
    initialTarget: toHex(bigIntToTarget(p.initialTarget)),
    powLimit: toHex(bigIntToTarget(p.powLimit)),
    targetBlockTimeMs: p.targetBlockTimeMs,
    retargetInterval: p.retargetInterval,
    maxAdjustment: p.maxAdjustment,
    blockReward: p.blockReward.toString(),
    halvingInterval: p.halvingInterval,
    maxBlockBytes: p.maxBlockBytes,
    maxFutureDriftMs: p.maxFutureDriftMs,
    alloc,
    extraData: p.extraData,
  };
}

