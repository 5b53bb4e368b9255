// Helpers for tests that drive a real Chain on a real LevelDB in a temp dir.
import { Chain, blockReward, retargetTarget, retargetWindow, type IndexEntry, type ChainOptions } from '../../src/chain/index.js';
import { ChainStore } from '../../src/store/index.js';
import { addressKey, blockId, txId, txSender, type Block, type ChainParams, type Genesis, type TransferTx } from '../../src/core/index.js';
import { toHex } from '../../src/crypto/index.js';
import { buildBlock, testGenesis } from './fixtures.js';
import { tempDir, defer, type AfterHook, type TempDir } from './cleanup.js';

export { tempDir, type TempDir } from './cleanup.js';

/** Opens a store on `dataDir` and a Chain on it that closes the store with itself. */
export async function openChainAt(dataDir: string, genesis: Genesis, opts: ChainOptions = {}): Promise<Chain> {
  const store = await ChainStore.open({ dataDir, genesisId: genesis.id });
  try {
    return await Chain.open(store, genesis, { ...opts, ownsStore: true });
  } catch (e) {
    await store.close();
    throw e;
  }
}

/**
 * A Chain on a fresh temp dir. `close()` closes both (idempotent); with `t`, the after hook does it
 * too, so a failing test leaves no open LevelDB or dir behind.
 */
export async function openTestChain(genesis: Genesis = testGenesis(), given?: TempDir, opts: ChainOptions = {}, t?: AfterHook): Promise<{ chain: Chain; dir: TempDir; close: () => Promise<void> }> {
  const dir = given ?? tempDir();
  let chain: Chain;
  try {
    chain = await openChainAt(dir.path, genesis, opts);
  } catch (err) {
    if (!given) dir.cleanup();
    throw err;
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= chain.close().finally(() => dir.cleanup()));
  if (t) defer(t, close);
  return { chain, dir, close };
}

/** Builds (and mines) a child of `parent` that the chain will accept (constant-target test params). */
export async function childOf(chain: Chain, parent: IndexEntry | { id: Uint8Array; height: number; timestamp: number }, txs: TransferTx[] = [], tag = 0n): Promise<Block> {
  const ctx = chain.params;
  return buildBlock({ parent: { id: parent.id, height: parent.height, timestamp: parent.timestamp }, target: ctx.initialTarget, params: ctx, txs, extraNonce: tag });
}

export async function tipEntry(chain: Chain): Promise<IndexEntry> {
  return (await chain.entry(chain.tip.id))!;
}

/** Extends the main chain by n blocks; returns the blocks. */
export async function extend(chain: Chain, n: number, tag = 0n): Promise<Block[]> {
  const out: Block[] = [];
  for (let i = 0; i < n; i++) {
    const b = await childOf(chain, await tipEntry(chain), [], tag);
    const r = await chain.submitBlock(b);
    if (r.status !== 'connected') throw new Error(`expected connected, got ${r.status} ${r.reason ?? ''}`);
    out.push(b);
  }
  return out;
}

/** Every key and value of every sublevel, as hex, for "store untouched" comparisons. */
export async function snapshotStore(chain: Chain): Promise<string[]> {
  const out: string[] = [];
  for await (const [k, v] of chain.store.db.iterator()) out.push(toHex(k as Uint8Array) + '=' + toHex(v as Uint8Array));
  return out;
}

export interface InvariantReport {
  height: number;
  supply: bigint;
  expectedSupply: bigint;
}

/** The store invariants after any crash: contiguous main chain, supply and nonces. */
export async function checkInvariants(chain: Chain, genesis: Genesis): Promise<InvariantReport> {
  const tip = chain.tip;
  // The tx index: never ahead of the chain, its tip on the main chain, a right row for every tx below.
  const indexed = chain.txIndex.tip;
  if (indexed.height > tip.height) throw new Error(`tx index at ${indexed.height} is above the tip ${tip.height}`);
  const indexedMain = await chain.store.getMainId(indexed.height);
  if (!indexedMain || toHex(indexedMain) !== toHex(indexed.id)) throw new Error(`tx index tip at ${indexed.height} is not on the main chain`);
  const nonces = new Map<string, bigint>();
  let prev: Uint8Array | undefined;
  let expectedSupply = genesis.params.alloc.reduce((s, a) => s + a.amount, 0n);
  for (let h = 0; h <= tip.height; h++) {
    const got = await chain.getBlock(h);
    if (!got) throw new Error(`main chain has a gap at height ${h}`);
    if (!got.main) throw new Error(`height ${h} is not main`);
    if (prev && toHex(got.block.header.prevHash) !== toHex(prev)) throw new Error(`main[${h}] does not link to main[${h - 1}]`);
    prev = got.entry.id;
    if (h <= indexed.height) {
      for (const [i, tx] of got.block.txs.entries()) {
        const row = await chain.store.getTxLocation(txId(tx));
        if (!row || row.index !== i || toHex(row.blockId) !== got.entry.idHex) throw new Error(`tx index row of tx ${i} at height ${h} is missing or wrong`);
      }
    }
    if (h > 0) expectedSupply += blockReward(h, genesis.params);
    for (const tx of got.block.txs) if (tx.kind === 'transfer') {
      const k = addressKey(txSender(tx));
      nonces.set(k, (nonces.get(k) ?? 0n) + 1n);
    }
  }
  if (toHex(prev!) !== tip.idHex) throw new Error('tip is not the top of main');
  if (await chain.store.getMainId(tip.height + 1)) throw new Error('main has entries above the tip');
  let supply = 0n;
  for await (const [addr, acct] of chain.store.accounts()) {
    supply += acct.balance;
    const n = nonces.get(toHex(addr)) ?? 0n;
    if (acct.nonce !== n) throw new Error(`nonce of ${toHex(addr)} is ${acct.nonce}, main chain has ${n} txs`);
    nonces.delete(toHex(addr));
  }
  if (nonces.size) throw new Error('a sender with main-chain txs has no account');
  if (supply !== expectedSupply) throw new Error(`supply ${supply} != alloc + rewards ${expectedSupply}`);
  return { height: tip.height, supply, expectedSupply };
}

/**
 * A branch from genesis with timestamps a day apart: each retarget eases the target until powLimit,
 * where a block costs a couple of hashes (issue 15's low-work fork attack).
 */
export function lowWorkBranch(params: ChainParams, genesisId: Uint8Array, n: number): Block[] {
  const DAY = 24 * 60 * 60 * 1000;
  const out: Block[] = [];
  const stamps = [params.timestamp];
  let parent = { id: genesisId, height: 0, timestamp: params.timestamp };
  let target = params.initialTarget;
  for (let i = 0; i < n; i++) {
    const w = retargetWindow(parent.height + 1, params);
    if (w) target = retargetTarget(params, target, w, stamps[w.firstHeight]!, stamps[w.lastHeight]!);
    const b = buildBlock({ parent, target, params, timestamp: parent.timestamp + DAY, extraNonce: 666n });
    out.push(b);
    stamps.push(b.header.timestamp);
    parent = { id: blockId(b), height: b.header.height, timestamp: b.header.timestamp };
  }
  return out;
}

/** n blocks on genesis, built offline (no chain); block i carries `txsAt(i)`; `tag` tells branches apart. */
export function offlineBranch(genesis: Genesis, n: number, tag: bigint, txsAt: (i: number) => TransferTx[] = () => []): Block[] {
  const out: Block[] = [];
  let parent = { id: genesis.id, height: 0, timestamp: genesis.params.timestamp };
  for (let i = 0; i < n; i++) {
    const b = buildBlock({ parent, target: genesis.params.initialTarget, params: genesis.params, txs: txsAt(i), extraNonce: tag });
    out.push(b);
    parent = { id: blockId(b), height: b.header.height, timestamp: b.header.timestamp };
  }
  return out;
}
