// What the CLI accepts from a node's API: each answer it prints or acts on is checked against the
// shape it uses (zod) and against the question asked (the address, transaction or block it named),
// before anything is formatted. The node is not trusted: a malformed answer is refused naming the
// field, and an answer about something else is refused naming both. Fields the CLI does not read
// pass through untouched, so --json prints the node's answer as it came.
import { z } from 'zod';
import type { AccountJson, BlockJson, PeersJson, StatusJson, TxLookupJson } from '../api/types.js';
import { CliError } from './errors.js';
import { clean } from './format.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const hex = z.string().regex(/^[0-9a-f]{1,64}$/, 'expected lowercase hex');
const decimal = z.string().regex(/^(0|[1-9][0-9]{0,39})$/, 'expected a non-negative decimal integer');
const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Epoch milliseconds a Date can hold (the formatters print them as dates). */
const time = z.number().int().min(0).max(8.64e15);
const text = z.string().max(200);

const StatusSchema = z.looseObject({
  network: text,
  genesis: hex64,
  height: count,
  tip: hex64,
  tipTime: time,
  work: decimal,
  target: hex,
  difficulty: z.number().finite().min(0),
  peers: z.looseObject({ table: count, connected: count }),
  mempool: count,
  mempoolBytes: count,
  mining: z.looseObject({ enabled: z.boolean(), hashrate: z.number().finite().min(0), address: text.optional() }),
  syncing: z.boolean(),
});

const TxViewSchema = z.looseObject({
  id: hex64,
  kind: z.enum(['transfer', 'coinbase']),
  from: text.optional(),
  sender: text.optional(),
  to: text,
  amount: decimal,
  fee: decimal.optional(),
  nonce: decimal.optional(),
  height: count.optional(),
});

const BlockSchema = z.looseObject({
  id: hex64,
  height: count,
  prevHash: hex64,
  timestamp: time,
  target: hex,
  nonce: count,
  size: count,
  miner: text.nullable(),
  reward: decimal,
  main: z.boolean(),
  header: z.looseObject({ merkleRoot: hex64 }),
  txs: z.array(TxViewSchema),
  confirmations: count,
  work: decimal,
  next: hex64.nullable(),
});

const TxLookupSchema = z.looseObject({
  id: hex64,
  tx: TxViewSchema,
  status: z.enum(['pending', 'confirmed']),
  block: hex64.nullable(),
  height: count.nullable(),
  confirmations: count,
});

const AccountSchema = z.looseObject({ address: text, balance: decimal, nonce: decimal, pendingNonce: decimal });

const PeersSchema = z.looseObject({
  connected: z.array(
    z.looseObject({
      id: text, host: text, port: count, address: text.optional(), direction: text, height: count, score: z.number().finite(),
      latencyMs: z.number().finite().min(0).optional(), connectedAt: time,
    }),
  ),
  table: z.array(z.looseObject({ id: text, host: text, port: count, bucket: count, lastSeen: time })),
});

function checked<T>(schema: z.ZodType, value: unknown, what: string, url: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data as T;
  const issue = r.error.issues[0]!;
  throw new CliError(`the node at ${url} sent a malformed ${what} answer (field "${clean(issue.path.join('.')) || '(root)'}": ${clean(issue.message)})`);
}

const show = (v: string): string => clean(v).slice(0, 100);

export function checkStatus(v: unknown, url: string): StatusJson {
  return checked<StatusJson>(StatusSchema, v, 'status', url);
}

export function checkPeers(v: unknown, url: string): PeersJson {
  return checked<PeersJson>(PeersSchema, v, 'peers', url);
}

export function checkAccount(v: unknown, address: string, url: string): AccountJson {
  const a = checked<AccountJson>(AccountSchema, v, 'account', url);
  if (a.address !== address) throw new CliError(`the node at ${url} answered for address ${show(a.address)} instead of ${address}`);
  return a;
}

export function checkTxLookup(v: unknown, id: string, url: string): TxLookupJson {
  const t = checked<TxLookupJson>(TxLookupSchema, v, 'transaction', url);
  if (t.id !== id || t.tx.id !== id) throw new CliError(`the node at ${url} answered for transaction ${t.id !== id ? t.id : t.tx.id} instead of ${id}`);
  return t;
}

/** `ref` is the height (digits) or the lowercase block id that was asked for. */
export function checkBlock(v: unknown, ref: string, url: string): BlockJson {
  const b = checked<BlockJson>(BlockSchema, v, 'block', url);
  if (/^[0-9]+$/.test(ref)) {
    if (b.height !== Number(ref)) throw new CliError(`the node at ${url} answered with the block at height ${b.height} instead of height ${Number(ref)}`);
  } else if (b.id !== ref) throw new CliError(`the node at ${url} answered with block ${b.id} instead of ${ref}`);
  return b;
}
