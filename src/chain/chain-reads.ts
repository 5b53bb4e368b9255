// Reads of the chain for the API, serving peers and sync: blocks by id or height, headers, main-chain
// transactions, accounts, the locator and ranges of blocks after it. Every byte read for someone
// else is checked by the store; damage found here is reported through the chain (logged once,
// remembered for the next start to heal) and refused as `store-damaged`, never passed on.
import { decodeBlock, parseAddress, type Block, type BlockHeader, type Genesis, type Tx } from '../core/index.js';
import { fromHex, toHex } from '../crypto/index.js';
import { StoreError, type ChainStore } from '../store/index.js';
import type { BlockIndex } from './block-index.js';
import type { IndexEntry } from './events.js';
import type { TxIndexer } from './tx-index.js';
import type { Account } from './tx-rules.js';

/** Ids in a locator at most (as the wire's getblocks/getheaders allow). */
const MAX_LOCATOR = 101;
export const MAX_BLOCKS_PER_REQUEST = 500;

/** Reports damage a read found and returns the error to throw (the chain logs and emits it once). */
export type DamageReporter = (what: string, key?: string, height?: number) => StoreError;

export class ChainReads {
  constructor(
    private readonly store: ChainStore,
    private readonly genesis: Genesis,
    private readonly index: BlockIndex,
    private readonly txIndex: TxIndexer,
    private readonly tipEntry: () => IndexEntry,
    private readonly damaged: DamageReporter,
  ) {}

  async getBlock(ref: Uint8Array | string | number): Promise<{ block: Block; entry: IndexEntry; main: boolean; confirmations: number } | undefined> {
    let id: Uint8Array | undefined;
    if (typeof ref === 'number') {
      id = await this.store.getMainId(ref);
      if (!id && ref >= 0 && ref <= this.tipEntry().height) throw this.damaged(`main-chain entry missing at height ${ref}`, `main:${ref}`, ref);
    } else id = typeof ref === 'string' ? fromHex(ref, 32) : ref;
    if (!id) return undefined;
    const entry = await this.index.entry(id);
    const bytes = entry && (await this.blockBytes(id));
    if (entry && !bytes) throw this.damaged(`block ${entry.idHex} at height ${entry.height} is indexed but its bytes are missing`);
    if (!entry || !bytes) return undefined;
    const main = await this.index.isMain(entry);
    return { block: decodeBlock(bytes), entry, main, confirmations: main ? this.tipEntry().height - entry.height + 1 : 0 };
  }

  /** Checked bytes; damage the store finds is reported (see DamageReporter). */
  async blockBytes(id: Uint8Array): Promise<Uint8Array | undefined> {
    try {
      return await this.store.getBlockBytes(id);
    } catch (e) {
      if (e instanceof StoreError && e.reason === 'store-damaged') throw this.damaged(e.message.replace(/^store damaged: /, '').split('; ')[0]!, toHex(id));
      throw e;
    }
  }

  async getHeader(ref: Uint8Array | number): Promise<BlockHeader | undefined> {
    return (await this.getBlock(ref))?.block.header;
  }

  /** A main-chain transaction with its block (also in a block the tx index has not reached yet). */
  async getTx(id: Uint8Array | string): Promise<{ tx: Tx; blockId: string; height: number; index: number; confirmations: number } | undefined> {
    const idBytes = typeof id === 'string' ? fromHex(id, 32) : id;
    const loc = await this.txIndex.locate(idBytes);
    if (!loc) return undefined;
    const b = await this.getBlock(loc.blockId);
    const tx = b?.block.txs[loc.index];
    if (!b || !tx) return undefined;
    return { tx, blockId: b.entry.idHex, height: b.entry.height, index: loc.index, confirmations: b.confirmations };
  }

  async getAccount(address: Uint8Array | string): Promise<Account> {
    const a = typeof address === 'string' ? parseAddress(address) : address;
    return (await this.store.getAccount(a)) ?? { balance: 0n, nonce: 0n };
  }

  /** Ids at heights tip, tip-1, tip-2, tip-4, ... and genesis (at most 101). */
  async locator(): Promise<Uint8Array[]> {
    const out: Uint8Array[] = [];
    let h = this.tipEntry().height;
    let step = 1;
    while (h > 0 && out.length < MAX_LOCATOR - 1) {
      out.push((await this.store.getMainId(h))!);
      h -= step;
      if (out.length >= 2) step *= 2;
    }
    out.push(this.genesis.id);
    return out;
  }

  /** Encoded main-chain blocks after the first locator entry we have on our main chain. */
  async blocksAfter(locator: Uint8Array[], limit = MAX_BLOCKS_PER_REQUEST): Promise<Uint8Array[]> {
    let start = 0;
    for (const id of locator.slice(0, MAX_LOCATOR)) {
      const e = await this.index.entry(id);
      if (e && (await this.index.isMain(e))) {
        start = e.height + 1;
        break;
      }
    }
    const out: Uint8Array[] = [];
    const end = Math.min(this.tipEntry().height, start + Math.min(limit, MAX_BLOCKS_PER_REQUEST) - 1);
    for (let h = start; h <= end; h++) {
      // A gap is damage: a peer must never get a range with a hole in it.
      const id = await this.store.getMainId(h);
      const b = id && (await this.blockBytes(id));
      if (!b) throw this.damaged(`main-chain block at height ${h} is missing`, `main:${h}`, h);
      out.push(b);
    }
    return out;
  }

  /** Main-chain index entries from height `from` downwards (newest first). */
  async recentEntries(from: number, limit: number): Promise<IndexEntry[]> {
    const out: IndexEntry[] = [];
    for (let h = Math.min(from, this.tipEntry().height); h >= 0 && out.length < limit; h--) {
      const id = await this.store.getMainId(h);
      const e = id && (await this.index.entry(id));
      if (e) out.push(e);
    }
    return out;
  }
}
