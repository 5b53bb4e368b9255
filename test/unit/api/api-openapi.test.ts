// /api/openapi.json: an OpenAPI 3.1 document generated from the API's zod schemas. It lists every
// route of DESIGN.md; every route the server answers is in it (probed, not taken on trust); and
// every response below, from a real chain with blocks, a pending tx and a reorg, fits its schema
// exactly (parsing strips unknown fields, so "parsed equals received" also rules out extra fields).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { z } from 'zod';
import { blockId, encodeAddress, type Block } from '../../../src/core/index.js';
import { ROUTES } from '../../../src/api/openapi.js';
import * as S from '../../../src/api/schemas.js';
import { transfer, testAddress, buildBlock, EASY_TARGET } from '../../helpers/fixtures.js';
import { tipEntry } from '../../helpers/chain-helpers.js';
import { startApi, type ApiHarness } from './api-harness.js';

/** The HTTP API table of DESIGN.md. */
const DESIGN_ROUTES = [
  'get /api/status', 'get /api/blocks', 'get /api/blocks/{idOrHeight}', 'get /api/txs/{id}', 'get /api/accounts/{address}', 'get /api/peers',
  'get /api/mempool', 'post /api/txs', 'get /api/tips', 'get /api/reorgs', 'get /api/openapi.json', 'get /api/events', 'get /metrics', 'get /',
];

let h: ApiHarness;
let doc: { openapi: string; paths: Record<string, Record<string, { responses: Record<string, unknown> }>>; components: { schemas: Record<string, unknown> } };
let txId = '';

before(async () => {
  h = await startApi({ metrics: true });
  const now = Date.now();
  let ts = now - 60_000;
  const mine = async (parent: { id: Uint8Array; height: number; timestamp: number }, tag: bigint): Promise<Block> => {
    const b = buildBlock({ parent, target: EASY_TARGET, params: h.chain.params, timestamp: (ts += 1000), extraNonce: tag });
    const r = await h.chain.submitBlock(b);
    assert.ok(r.status === 'connected' || r.status === 'side');
    return b;
  };
  await mine(await tipEntry(h.chain), 0n);
  const fork = await tipEntry(h.chain);
  await mine(await tipEntry(h.chain), 0n);
  // A two-block branch from height 1 overtakes the one-block main branch: one reorg.
  let parent: { id: Uint8Array; height: number; timestamp: number } = fork;
  for (let i = 0; i < 2; i++) {
    const b = await mine(parent, 9n);
    parent = (await h.chain.entry(blockId(b)))!;
  }
  const tx = transfer('alice', testAddress('bob'), 5n, 0n, h.chain.genesis.id);
  const added = await h.mempool.add(tx);
  assert.ok(added.accepted);
  txId = added.id;
  doc = (await (await fetch(h.url + '/api/openapi.json')).json()) as typeof doc;
});
after(() => h?.close());

test('openapi: the document is OpenAPI 3.1 and lists every route of DESIGN.md', () => {
  assert.equal(doc.openapi, '3.1.0');
  const listed = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`)));
  for (const r of DESIGN_ROUTES) assert.ok(listed.has(r), `${r} is missing from /api/openapi.json`);
  // Every $ref resolves to a component.
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
  assert.ok(refs.length > 10);
  for (const id of refs) assert.ok(doc.components.schemas[id], `dangling $ref ${id}`);
});

test('openapi: every route the server answers is in the document', async () => {
  const documented = Object.keys(doc.paths).map((p) => new RegExp('^' + p.replace(/\{[^}]+\}/g, '[^/]+') + '$'));
  const probes = [
    'status', 'stats', 'blocks', 'blocks/1', 'txs', `txs/${txId}`, `accounts/${encodeAddress(testAddress('alice'))}`, 'peers', 'mempool', 'tips', 'reorgs',
    'lookups', 'propagation', 'openapi.json', 'events', 'health', 'info', 'version', 'chain', 'network', 'debug', 'admin', 'config', 'wallet', 'miner',
    'mining', 'orphans', 'headers', 'block', 'tx', 'account', 'peer', 'metrics', 'node', 'sync', 'bans', 'kad', 'dht', 'difficulty', 'hashrate',
  ].map((p) => '/api/' + p);
  let answered = 0;
  for (const path of [...probes, '/metrics', '/', '/index.html']) {
    const r = await fetch(h.url + path);
    await r.arrayBuffer();
    if (r.status === 404) continue;
    answered++;
    const ok = documented.some((re) => re.test(path)) || (path === '/index.html' && doc.paths['/']);
    assert.ok(ok, `${path} answers ${r.status} but is not in /api/openapi.json`);
  }
  assert.ok(answered >= 15, `only ${answered} probes answered`);
});

test('openapi: every JSON response fits its schema exactly', async () => {
  const alice = encodeAddress(testAddress('alice'));
  const cases: [string, z.ZodType][] = [
    ['/api/status', S.StatusSchema],
    ['/api/stats', S.ChainStatsSchema],
    ['/api/blocks', S.BlockSummariesSchema],
    ['/api/blocks?from=0&limit=3', S.BlockSummariesSchema],
    ['/api/blocks/2', S.BlockSchema],
    ['/api/blocks/0', S.BlockSchema],
    [`/api/txs/${txId}`, S.TxLookupSchema],
    [`/api/accounts/${alice}`, S.AccountSchema],
    ['/api/peers', S.PeersSchema],
    ['/api/mempool', S.MempoolSchema],
    ['/api/tips', S.TipsSchema],
    ['/api/reorgs', S.ReorgsSchema],
    ['/api/lookups', S.LookupsSchema],
    ['/api/propagation', S.PropagationSchema],
    ['/api/blocks/zz', S.ErrorSchema],
    ['/api/nosuch', S.ErrorSchema],
  ];
  for (const [path, schema] of cases) {
    const body: unknown = await (await fetch(h.url + path)).json();
    const parsed = schema.safeParse(body);
    assert.ok(parsed.success, `${path}: ${parsed.success ? '' : parsed.error.message}`);
    assert.deepEqual(parsed.data, body, `${path}: the response has fields the schema does not describe`);
  }
  const reorgs = S.ReorgsSchema.parse(await (await fetch(h.url + '/api/reorgs')).json());
  assert.equal(reorgs.length, 1, 'the fixture made one reorg');
  // Each documented JSON route names the component the test validated against.
  const ok200 = doc.paths['/api/stats']!.get!.responses['200'] as { content: { 'application/json': { schema: { $ref: string } } } };
  assert.equal(ok200.content['application/json'].schema.$ref, '#/components/schemas/ChainStats');
});

test('openapi: every route in the route table is documented once with an operationId', () => {
  const ids = new Set<string>();
  for (const r of ROUTES) {
    const op = doc.paths[r.path]?.[r.method] as { operationId?: string } | undefined;
    assert.ok(op?.operationId, `${r.method} ${r.path}`);
    assert.ok(!ids.has(op.operationId!), `duplicate operationId ${op.operationId}`);
    ids.add(op.operationId!);
  }
});
