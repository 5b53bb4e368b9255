// zod schemas of every JSON body the API sends or takes: the source of the OpenAPI document
// (openapi.ts) and of the response checks in the tests. The compile-time checks at the bottom keep
// them in step with the TypeScript shapes in types.ts: a field changed there fails the build here.
import { z } from 'zod';
import type {
  AccountJson, BlockJson, BlockSummaryJson, ChainStatsJson, ChainTipJson, ErrorJson, LookupJson, MempoolEntryJson, PeersJson, PropagationJson,
  ReorgJson, StatusJson, SubmitTxJson, TxLookupJson,
} from './types.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/).describe('64 lowercase hex digits');
const decimal = z.string().regex(/^[0-9]+$/).describe('unsigned integer as a decimal string');
const ms = z.number().describe('epoch milliseconds');
const address = z.string().describe('checksummed address (kc1...)');

export const ErrorSchema = z.object({ error: z.string(), reason: z.string().describe('stable machine-readable code') }).meta({ id: 'Error' });

export const StatusSchema = z
  .object({
    network: z.string(),
    genesis: hex64,
    height: z.number().int().nonnegative(),
    tip: hex64,
    tipTime: ms,
    work: decimal,
    target: hex64,
    difficulty: z.number(),
    targetBlockTimeMs: z.number(),
    peers: z.object({ table: z.number().int(), connected: z.number().int() }),
    mempool: z.number().int(),
    mempoolBytes: z.number().int(),
    orphans: z.number().int(),
    mining: z.object({ enabled: z.boolean(), hashrate: z.number(), address: address.optional() }),
    syncing: z.boolean(),
    health: z.object({ ok: z.boolean(), problems: z.array(z.object({ reason: z.string().describe('disk-full, io-error, store-damaged'), message: z.string() })) }),
    sync: z
      .object({
        headers: z.number().int().describe('height of the best checked header'),
        blocks: z.number().int().describe('height of the connected tip'),
        peersServing: z.number().int(),
        blocksPerSec: z.number(),
        etaSeconds: z.number().nullable(),
        inflight: z.number().int(),
        buffered: z.number().int(),
      })
      .optional()
      .describe('headers-first sync progress'),
  })
  .meta({ id: 'Status' });

export const ChainStatsSchema = z
  .object({
    window: z.object({
      blocks: z.number().int(),
      fromHeight: z.number().int(),
      toHeight: z.number().int(),
      intervals: z.number().int(),
      excluded: z.object({ genesis: z.number().int(), restarts: z.number().int() }),
    }),
    networkHashrate: z.number().describe('work per second over the counted intervals (H/s)'),
    meanBlockTimeMs: z.number().nullable(),
    medianBlockTimeMs: z.number().nullable(),
    targetBlockTimeMs: z.number(),
    difficulty: z.number(),
    nextTarget: hex64,
    nextDifficulty: z.number(),
    retarget: z.object({ interval: z.number().int(), nextHeight: z.number().int(), blocksLeft: z.number().int(), estimatedDifficulty: z.number().nullable() }),
    orphans: z.number().int(),
    reorgs: z.number().int(),
    sideTips: z.number().int(),
  })
  .meta({ id: 'ChainStats' });

export const HeaderSchema = z
  .object({ version: z.number().int(), height: z.number().int(), prevHash: hex64, merkleRoot: hex64, timestamp: ms, target: hex64, nonce: z.number().int() })
  .meta({ id: 'Header' });

const TransferFields = {
  kind: z.literal('transfer'),
  chainId: hex64,
  from: z.string().describe('sender public key, hex'),
  to: address,
  amount: decimal,
  fee: decimal,
  nonce: decimal,
  signature: z.string().describe('Ed25519 signature, hex'),
};
export const TransferTxSchema = z.object(TransferFields).meta({ id: 'TransferTx' });

export const TxViewSchema = z
  .union([
    z.object({ ...TransferFields, id: hex64, size: z.number().int(), sender: address.optional() }),
    z.object({ kind: z.literal('coinbase'), height: z.number().int(), to: address, amount: decimal, extraNonce: decimal, extraData: z.string(), id: hex64, size: z.number().int(), sender: address.optional() }),
  ])
  .meta({ id: 'TxView' });

const summaryFields = {
  id: hex64,
  height: z.number().int(),
  prevHash: hex64,
  timestamp: ms,
  target: hex64,
  nonce: z.number().int(),
  txCount: z.number().int(),
  size: z.number().int(),
  miner: address.nullable(),
  reward: decimal,
  main: z.boolean(),
};
export const BlockSummarySchema = z.object(summaryFields).meta({ id: 'BlockSummary' });
export const BlockSummariesSchema = z.array(BlockSummarySchema).meta({ id: 'BlockSummaries' });
export const BlockSchema = z
  .object({ ...summaryFields, header: HeaderSchema, txs: z.array(TxViewSchema), confirmations: z.number().int(), work: decimal, next: hex64.nullable() })
  .meta({ id: 'Block' });

export const TxLookupSchema = z
  .object({
    id: hex64,
    tx: TxViewSchema,
    status: z.enum(['pending', 'confirmed']),
    block: hex64.nullable(),
    height: z.number().int().nullable(),
    index: z.number().int().nullable(),
    confirmations: z.number().int(),
  })
  .meta({ id: 'TxLookup' });

export const AccountSchema = z.object({ address, balance: decimal, nonce: decimal, pendingNonce: decimal }).meta({ id: 'Account' });

export const PeersSchema = z
  .object({
    table: z.array(z.object({ id: hex64, host: z.string(), port: z.number().int(), bucket: z.number().int(), lastSeen: ms })),
    connected: z.array(
      z.object({
        id: z.string().describe('node id: SHA-256 of the public key the peer proved at the handshake'),
        host: z.string().describe("the connection's remote address"),
        port: z.number().int().describe('listening port: dialled (outbound) or advertised in its hello (inbound)'),
        address: z.string().describe('host:port, IPv6 in brackets'),
        direction: z.enum(['inbound', 'outbound']),
        height: z.number().int(),
        work: decimal,
        score: z.number().describe('misbehaviour score now (decays with a half-life; banned at 100)'),
        connectedAt: ms,
        latencyMs: z.number().optional().describe('last keep-alive round trip; absent until one was answered'),
        lastBlockAt: ms.describe('last delivery of a requested block (0: never)'),
        lastTxAt: ms.describe('last delivery of a requested transaction (0: never)'),
      }),
    ),
    buckets: z.array(z.number().int()).describe('entries per bucket, index = shared-prefix length'),
  })
  .meta({ id: 'Peers' });

export const MempoolSchema = z.array(z.intersection(TxViewSchema, z.object({ feeRate: decimal, addedAt: ms }))).meta({ id: 'Mempool' });

export const SubmitTxSchema = z.object({ id: hex64, replaced: hex64.optional() }).meta({ id: 'SubmitTx' });

export const TipsSchema = z
  .array(
    z.object({
      id: hex64,
      height: z.number().int(),
      work: decimal,
      time: ms,
      forkHeight: z.number().int(),
      branchLength: z.number().int(),
      status: z.enum(['active', 'fork', 'invalid']),
    }),
  )
  .meta({ id: 'Tips' });

export const ReorgsSchema = z
  .array(
    z.object({
      time: ms,
      forkHeight: z.number().int(),
      depth: z.number().int(),
      oldTip: hex64.nullable(),
      newTip: hex64.nullable(),
      disconnectedCount: z.number().int(),
      connectedCount: z.number().int(),
      disconnected: z.array(hex64),
      connected: z.array(hex64),
      removedTxs: z.number().int(),
    }),
  )
  .meta({ id: 'Reorgs' });

export const LookupsSchema = z
  .array(
    z.object({
      target: hex64,
      kind: z.enum(['find-node', 'find-value']),
      startedAt: ms,
      durationMs: z.number(),
      rounds: z.array(z.object({ round: z.number().int(), asked: z.number().int(), replied: z.number().int(), failed: z.number().int(), bestPrefixBits: z.number().int() })),
      found: z.number().int(),
      bestPrefixBits: z.number().int(),
      messages: z.number().int(),
    }),
  )
  .meta({ id: 'Lookups' });

export const PropagationSchema = z
  .array(
    z.object({
      id: hex64,
      height: z.number().int().nullable(),
      firstSeenAt: ms,
      firstFrom: z.string().nullable(),
      connectedAt: ms.nullable(),
      announcements: z.array(z.object({ peer: z.string(), host: z.string(), at: ms, via: z.enum(['inv', 'header', 'block']) })),
    }),
  )
  .meta({ id: 'Propagation' });

// ---- compile-time agreement with types.ts (each interface value must satisfy its schema) ----
type Fits<T extends U, U> = T;
export type SchemaChecks = [
  Fits<ErrorJson, z.infer<typeof ErrorSchema>>,
  Fits<StatusJson, z.infer<typeof StatusSchema>>,
  Fits<ChainStatsJson, z.infer<typeof ChainStatsSchema>>,
  Fits<BlockSummaryJson, z.infer<typeof BlockSummarySchema>>,
  Fits<BlockSummaryJson[], z.infer<typeof BlockSummariesSchema>>,
  Fits<BlockJson, z.infer<typeof BlockSchema>>,
  Fits<TxLookupJson, z.infer<typeof TxLookupSchema>>,
  Fits<AccountJson, z.infer<typeof AccountSchema>>,
  Fits<PeersJson, z.infer<typeof PeersSchema>>,
  Fits<MempoolEntryJson[], z.infer<typeof MempoolSchema>>,
  Fits<SubmitTxJson, z.infer<typeof SubmitTxSchema>>,
  Fits<ChainTipJson[], z.infer<typeof TipsSchema>>,
  Fits<ReorgJson[], z.infer<typeof ReorgsSchema>>,
  Fits<LookupJson[], z.infer<typeof LookupsSchema>>,
  Fits<PropagationJson[], z.infer<typeof PropagationSchema>>,
];
