// Read-only commands against a node's HTTP API: status, block, tx, balance, peers. Tables for
// people, `--json` for scripts (the API's JSON as is: amounts stay base-unit decimal strings).
import { parseAddress, isCodedError } from '../../core/index.js';
import { ApiClient } from '../../api/client.js';
import type { BlockJson, PeersJson, StatusJson, TxLookupJson, AccountJson } from '../../api/types.js';
import { CliError } from '../errors.js';
import { checkAccount, checkBlock, checkPeers, checkStatus, checkTxLookup } from '../answers.js';
import { ago, bytes, coins, hashrate, json, keyValues, shortId, table, when } from '../format.js';

export interface QueryOptions {
  node: string;
  json?: boolean;
}

const print = (text: string): void => void process.stdout.write(text + '\n');

export function formatStatus(s: StatusJson): string {
  return keyValues([
    ['network', s.network],
    ['genesis', s.genesis],
    ['height', String(s.height)],
    ['tip', s.tip],
    ['tip time', when(s.tipTime)],
    ['difficulty', String(s.difficulty)],
    ['target', s.target],
    ['chain work', s.work],
    ['peers', `${s.peers.connected} connected, ${s.peers.table} in routing table`],
    ['mempool', `${s.mempool} tx${s.mempool === 1 ? '' : 's'} (${bytes(s.mempoolBytes)})`],
    ['mining', s.mining.enabled ? `yes, ${hashrate(s.mining.hashrate)}${s.mining.address ? ` -> ${s.mining.address}` : ''}` : 'no'],
    ['syncing', s.syncing ? 'yes' : 'no'],
  ]);
}

export function formatBlock(b: BlockJson): string {
  const head = keyValues([
    ['block', b.id],
    ['height', String(b.height)],
    ['status', b.main ? `main chain, ${b.confirmations} confirmation${b.confirmations === 1 ? '' : 's'}` : 'side branch'],
    ['time', when(b.timestamp)],
    ['previous', b.prevHash],
    ['next', b.next ?? '-'],
    ['miner', b.miner ?? '- (genesis)'],
    ['reward', `${coins(b.reward)} coins (subsidy + fees)`],
    ['merkle root', b.header.merkleRoot],
    ['target', b.target],
    ['nonce', String(b.nonce)],
    ['size', bytes(b.size)],
    ['chain work', b.work],
  ]);
  const rows = b.txs.map((t) => [
    shortId(t.id),
    t.kind,
    t.kind === 'transfer' ? t.sender ?? '-' : '(new coins)',
    t.to,
    coins(t.amount),
    t.kind === 'transfer' ? coins(t.fee) : '-',
  ]);
  return `${head}\n\n${b.txs.length} transaction${b.txs.length === 1 ? '' : 's'}:\n${table(['ID', 'KIND', 'FROM', 'TO', 'AMOUNT', 'FEE'], rows)}`;
}

export function formatTx(r: TxLookupJson): string {
  const t = r.tx;
  const pairs: [string, string][] = [
    ['tx', r.id],
    ['status', r.status === 'confirmed' ? `confirmed (${r.confirmations} confirmation${r.confirmations === 1 ? '' : 's'})` : 'pending (in the mempool)'],
    ['block', r.block ? `${r.block} (height ${r.height})` : '-'],
    ['kind', t.kind],
  ];
  if (t.kind === 'transfer') pairs.push(['from', t.sender ?? t.from]);
  pairs.push(['to', t.to], ['amount', `${coins(t.amount)} coins`]);
  if (t.kind === 'transfer') pairs.push(['fee', `${coins(t.fee)} coins`], ['nonce', t.nonce]);
  else pairs.push(['height', String(t.height)]);
  return keyValues(pairs);
}

export function formatAccount(a: AccountJson): string {
  return keyValues([
    ['address', a.address],
    ['balance', `${coins(a.balance)} coins`],
    ['nonce', a.nonce],
    ['pending nonce', a.pendingNonce],
  ]);
}

export function formatPeers(p: PeersJson): string {
  const now = Date.now();
  const connected = p.connected.length
    ? table(
        ['NODE ID', 'ADDRESS', 'DIR', 'HEIGHT', 'SCORE', 'PING', 'CONNECTED'],
        p.connected.map((c) => [
          shortId(c.id), c.address ?? `${c.host}:${c.port}`, c.direction, String(c.height), String(c.score),
          c.latencyMs === undefined ? '-' : `${Math.round(c.latencyMs)} ms`, ago(c.connectedAt, now),
        ]),
      )
    : '(none)';
  const entries = [...p.table].sort((a, b) => b.bucket - a.bucket || b.lastSeen - a.lastSeen);
  const dht = entries.length ? table(['BUCKET', 'NODE ID', 'ADDRESS', 'LAST SEEN'], entries.map((e) => [String(e.bucket), shortId(e.id), `${e.host}:${e.port}`, ago(e.lastSeen, now)])) : '(empty)';
  return `connected peers (${p.connected.length}):\n${connected}\n\nrouting table (${p.table.length}):\n${dht}`;
}

export async function statusCommand(o: QueryOptions): Promise<void> {
  const client = new ApiClient(o.node);
  const s = checkStatus(await client.status(), client.baseUrl);
  print(o.json ? json(s) : formatStatus(s));
}

export async function blockCommand(ref: string, o: QueryOptions): Promise<void> {
  const r = ref.trim();
  if (!/^[0-9]{1,10}$/.test(r) && !/^[0-9a-fA-F]{64}$/.test(r)) throw new CliError(`expected a block height or a 64-hex-digit block id, got ${JSON.stringify(ref)}`);
  const client = new ApiClient(o.node);
  const b = checkBlock(await client.block(r), /^[0-9]+$/.test(r) ? r : r.toLowerCase(), client.baseUrl);
  print(o.json ? json(b) : formatBlock(b));
}

export async function txCommand(id: string, o: QueryOptions): Promise<void> {
  if (!/^[0-9a-fA-F]{64}$/.test(id.trim())) throw new CliError(`expected a 64-hex-digit transaction id, got ${JSON.stringify(id)}`);
  const client = new ApiClient(o.node);
  const r = checkTxLookup(await client.tx(id.trim()), id.trim().toLowerCase(), client.baseUrl);
  print(o.json ? json(r) : formatTx(r));
}

export async function balanceCommand(address: string, o: QueryOptions): Promise<void> {
  try {
    parseAddress(address.trim());
  } catch (e) {
    throw new CliError(isCodedError(e) ? e.message : String(e));
  }
  const client = new ApiClient(o.node);
  const a = checkAccount(await client.account(address.trim()), address.trim(), client.baseUrl);
  print(o.json ? json(a) : formatAccount(a));
}

export async function peersCommand(o: QueryOptions): Promise<void> {
  const client = new ApiClient(o.node);
  const p = checkPeers(await client.peers(), client.baseUrl);
  print(o.json ? json(p) : formatPeers(p));
}
