// The OpenAPI 3.1 document of every route (GET /api/openapi.json), generated from the zod schemas
// in schemas.ts with zod's own JSON Schema output (2020-12, which OpenAPI 3.1 uses as is). The
// route table below is the one list of what the server answers; a test holds the two together.
import { z } from 'zod';
import * as S from './schemas.js';

type Param = { name: string; in: 'path' | 'query'; description: string; schema: Record<string, unknown>; required?: boolean };

export interface RouteDoc {
  method: 'get' | 'post';
  /** OpenAPI path template, e.g. /api/blocks/{idOrHeight}. */
  path: string;
  summary: string;
  params?: Param[];
  /** Component schema of the 2xx body (JSON), or a media type for non-JSON answers. */
  ok: { status: number; schema?: z.ZodType; media?: string; description: string };
  body?: z.ZodType;
  /** Error statuses this route can answer with {error, reason}. */
  errors?: number[];
}

const int = (min: number, max: number): Record<string, unknown> => ({ type: 'integer', minimum: min, maximum: max });

export const ROUTES: RouteDoc[] = [
  { method: 'get', path: '/api/status', summary: 'Chain tip, peers, mempool, miner and sync state', ok: { status: 200, schema: S.StatusSchema, description: 'node status' } },
  { method: 'get', path: '/api/stats', summary: 'Network hash rate, block times, difficulty and next retarget, computed by the node over recent blocks', ok: { status: 200, schema: S.ChainStatsSchema, description: 'chain statistics' } },
  {
    method: 'get', path: '/api/blocks', summary: 'Main-chain block summaries: newest first, or upwards from a height',
    params: [
      { name: 'from', in: 'query', description: 'first height (ascending from here)', schema: int(0, 0xffffffff) },
      { name: 'limit', in: 'query', description: 'how many (default 20)', schema: int(1, 100) },
    ],
    ok: { status: 200, schema: S.BlockSummariesSchema, description: 'block summaries' }, errors: [400],
  },
  {
    method: 'get', path: '/api/blocks/{idOrHeight}', summary: 'One block: header, transactions, confirmations',
    params: [{ name: 'idOrHeight', in: 'path', required: true, description: 'height or 64-hex block id', schema: { type: 'string' } }],
    ok: { status: 200, schema: S.BlockSchema, description: 'the block' }, errors: [400, 404],
  },
  {
    method: 'get', path: '/api/txs/{id}', summary: 'A transaction, pending or confirmed',
    params: [{ name: 'id', in: 'path', required: true, description: '64-hex transaction id', schema: { type: 'string' } }],
    ok: { status: 200, schema: S.TxLookupSchema, description: 'the transaction' }, errors: [400, 404],
  },
  { method: 'post', path: '/api/txs', summary: 'Submit a signed transfer', body: S.TransferTxSchema, ok: { status: 202, schema: S.SubmitTxSchema, description: 'accepted into the mempool' }, errors: [400, 413] },
  {
    method: 'get', path: '/api/accounts/{address}', summary: 'Balance and nonces of an address',
    params: [{ name: 'address', in: 'path', required: true, description: 'checksummed address', schema: { type: 'string' } }],
    ok: { status: 200, schema: S.AccountSchema, description: 'the account' }, errors: [400],
  },
  { method: 'get', path: '/api/peers', summary: 'Kademlia table entries, connected peers, bucket fill', ok: { status: 200, schema: S.PeersSchema, description: 'peers' } },
  { method: 'get', path: '/api/mempool', summary: 'Pending transactions', ok: { status: 200, schema: S.MempoolSchema, description: 'mempool entries' } },
  {
    method: 'get', path: '/api/tips', summary: 'Chain tips (as getchaintips)',
    params: [{ name: 'limit', in: 'query', description: 'how many (default 50)', schema: int(1, 500) }],
    ok: { status: 200, schema: S.TipsSchema, description: 'tips, active first' }, errors: [400],
  },
  {
    method: 'get', path: '/api/reorgs', summary: 'Recent reorgs, newest first (bounded history)',
    params: [{ name: 'limit', in: 'query', description: 'how many', schema: int(1, 100) }],
    ok: { status: 200, schema: S.ReorgsSchema, description: 'reorgs' }, errors: [400],
  },
  { method: 'get', path: '/api/lookups', summary: 'The last Kademlia lookups, round by round (bounded history)', ok: { status: 200, schema: S.LookupsSchema, description: 'lookups, newest first' } },
  { method: 'get', path: '/api/propagation', summary: 'How recent blocks reached this node: per-peer announcements, first seen from whom', ok: { status: 200, schema: S.PropagationSchema, description: 'recent blocks, newest first' } },
  { method: 'get', path: '/api/openapi.json', summary: 'This document', ok: { status: 200, media: 'application/json', description: 'OpenAPI 3.1 document' } },
  { method: 'get', path: '/api/events', summary: 'WebSocket of block, tx, reorg and peer events (a plain GET answers 426)', ok: { status: 101, media: 'websocket', description: 'switching protocols' }, errors: [426] },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (only when the node runs with --metrics; 404 otherwise)', ok: { status: 200, media: 'text/plain', description: 'Prometheus text format' }, errors: [404] },
  { method: 'get', path: '/', summary: 'Block explorer page', ok: { status: 200, media: 'text/html', description: 'the explorer' } },
];

const ERROR_TEXT: Record<number, string> = {
  400: 'refused: malformed or invalid input', 404: 'not found', 413: 'body too large', 426: 'upgrade required',
};

/** Builds the document; `version` is the package version. */
export function buildOpenApi(version: string): Record<string, unknown> {
  const ref = (schema: z.ZodType): Record<string, unknown> => {
    const id = z.globalRegistry.get(schema)?.id;
    if (!id) throw new Error('openapi: every route schema needs a .meta({ id }) in schemas.ts');
    return { $ref: `#/components/schemas/${id}` };
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of ROUTES) {
    const responses: Record<string, unknown> = {};
    const content = r.ok.schema ? { 'application/json': { schema: ref(r.ok.schema) } } : r.ok.media && r.ok.media !== 'websocket' ? { [r.ok.media]: {} } : undefined;
    responses[String(r.ok.status)] = content ? { description: r.ok.description, content } : { description: r.ok.description };
    for (const code of [...(r.errors ?? []), 405, 500]) {
      responses[String(code)] = { description: ERROR_TEXT[code] ?? (code === 405 ? 'method not allowed' : 'internal error'), content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    const op: Record<string, unknown> = { summary: r.summary, operationId: `${r.method}${r.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`, responses };
    if (r.params) op.parameters = r.params.map((p) => ({ name: p.name, in: p.in, required: p.required ?? false, description: p.description, schema: p.schema }));
    if (r.body) op.requestBody = { required: true, content: { 'application/json': { schema: ref(r.body) } } };
    (paths[r.path] ??= {})[r.method] = op;
  }
  const all = z.toJSONSchema(z.globalRegistry, { target: 'draft-2020-12', uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' });
  const schemas: Record<string, unknown> = {};
  for (const id of COMPONENT_IDS) if (all.schemas[id]) schemas[id] = strip(all.schemas[id] as Record<string, unknown>);
  return {
    openapi: '3.1.0',
    info: { title: 'kadchain node API', version, description: 'HTTP JSON API of a kadchain node. Amounts, nonces and work are decimal strings; hashes are lowercase hex; times are epoch ms.' },
    servers: [{ url: '/' }],
    paths,
    components: { schemas },
  };
}

/** The schemas schemas.ts names (the global registry may hold others from elsewhere). */
const COMPONENT_IDS = Object.values(S)
  .map((s) => (s instanceof z.ZodType ? z.globalRegistry.get(s)?.id : undefined))
  .filter((id): id is string => typeof id === 'string');

function strip(s: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _s, $id: _i, ...rest } = s;
  return rest;
}
