// The header tree: headers we have checked but whose bodies we do not have yet, in memory, keyed
// by id. A header is admitted only after the header rules pass against its parent (stored block or
// admitted header): linkage, height, retarget schedule, median-time-past, future drift and
// proof-of-work, so a peer's claimed work counts only once its headers prove it. Stored blocks
// leave the tree; branches no peer stands behind are pruned; the size is capped.
import { BlockStatus } from '../store/index.js';
import { checkHeader, medianTimePast, retargetTarget, retargetWindow, MEDIAN_TIME_SPAN, type Chain, type ParentContext } from '../chain/index.js';
import { decodeHeader, headerId, targetToBigInt, workForTarget, isCodedError, type BlockHeader } from '../core/index.js';
import { toHex } from '../crypto/index.js';
import { LruSet } from '../p2p/index.js';
import { SyncError } from './errors.js';

/** A checked header waiting for its body. */
export interface HeaderNode {
  id: Uint8Array;
  idHex: string;
  header: BlockHeader;
  /** The 116 canonical bytes, as received (re-served and re-announced as they are). */
  bytes: Uint8Array;
  height: number;
  parentHex: string;
  work: bigint;
}

/** What a child is checked against: a stored block or an admitted header. */
interface Link {
  idHex: string;
  id: Uint8Array;
  height: number;
  timestamp: number;
  target: bigint;
  work: bigint;
  parentHex: string;
  /** True for a block in the store (false for a header of the tree). */
  stored: boolean;
  invalid: boolean;
}

export class HeaderTree {
  private readonly nodes = new Map<string, HeaderNode>();
  private bestNode: HeaderNode | undefined;
  /** Ids whose body broke a rule (bounded): their descendants are refused as headers. */
  private readonly invalid = new LruSet(10_000);
  /** The context a child of the chain's tip is checked against (see `context`). */
  private tipContext: { idHex: string; ctx: ParentContext } | undefined;

  constructor(private readonly chain: Chain, readonly maxHeaders: number, private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.nodes.size;
  }

  get(idHex: string): HeaderNode | undefined {
    return this.nodes.get(idHex);
  }

  /** The most-work admitted header, if it beats the chain's tip. */
  get best(): HeaderNode | undefined {
    if (this.bestNode && !this.nodes.has(this.bestNode.idHex)) this.bestNode = this.recomputeBest();
    return this.bestNode && this.bestNode.work > this.chain.tip.work ? this.bestNode : undefined;
  }

  /** Work of the best known header chain (the chain's tip when no header beats it). */
  get bestWork(): bigint {
    return this.best?.work ?? this.chain.tip.work;
  }

  get bestHeight(): number {
    return this.best?.height ?? this.chain.tip.height;
  }

  /**
   * Checks a run of headers, each the child of the one before and the first the child of a known
   * header or block, without admitting them. Returns the checked nodes (those already known are
   * skipped). Throws SyncError: 'headers-not-connecting' when the first parent is unknown,
   * 'invalid-header' (with the rule) for a broken rule, 'time-too-new' when a header is ahead of
   * our clock (no blame: the checked prefix is returned with the error's `partial`).
   */
  async check(raw: Uint8Array[], overlay?: Map<string, HeaderNode>): Promise<HeaderNode[]> {
    const out: HeaderNode[] = [];
    const local = new Map<string, HeaderNode>();
    const params = this.chain.params;
    let parent: Link | undefined;
    for (const bytes of raw) {
      let header: BlockHeader;
      try {
        header = decodeHeader(bytes);
      } catch {
        throw new SyncError('malformed-header', 'header does not decode', out);
      }
      const id = headerId(header);
      const idHex = toHex(id);
      const prevHex = toHex(header.prevHash);
      if (!parent || parent.idHex !== prevHex) {
        parent = await this.link(prevHex, header.prevHash, local, overlay);
        if (!parent) throw new SyncError('headers-not-connecting', `header ${idHex.slice(0, 16)} at height ${header.height}: parent ${prevHex.slice(0, 16)} unknown`, out);
      }
      if (parent.invalid) throw new SyncError('invalid-header', `header ${idHex.slice(0, 16)} builds on an invalid block`, out);
      // A block is stored only once its parent is: under a parent that is itself only a header
      // here, the child cannot be stored, so the store is asked only under stored parents, and
      // not under one whose stored children the chain knows from memory (a new tip's child).
      const known = this.nodes.get(idHex) ?? overlay?.get(idHex) ?? (parent.stored && !this.chain.knownAbsent(idHex, prevHex) ? await this.chain.entry(id) : undefined);
      if (known) {
        parent = await this.link(idHex, id, local, overlay);
        continue;
      }
      try {
        if (targetToBigInt(header.target) > params.powLimit) throw new SyncError('invalid-header', 'target easier than powLimit', out);
        checkHeader(header, await this.context(parent, local, overlay), params, this.now(), id);
      } catch (e) {
        if (e instanceof SyncError) throw e;
        if (!isCodedError(e)) throw e;
        if (e.reason === 'time-too-new') throw new SyncError('time-too-new', e.message, out);
        throw new SyncError('invalid-header', `${e.reason}: ${e.message}`, out);
      }
      const node: HeaderNode = { id, idHex, header, bytes, height: header.height, parentHex: prevHex, work: parent.work + workForTarget(header.target) };
      local.set(idHex, node);
      out.push(node);
      parent = nodeLink(node);
    }
    return out;
  }

  /** Admits checked headers (see `check`); the tree stays under `maxHeaders` by dropping the least work. */
  admit(nodes: HeaderNode[]): void {
    for (const n of nodes) {
      if (this.nodes.has(n.idHex)) continue;
      this.nodes.set(n.idHex, n);
      if (!this.bestNode || n.work > this.bestNode.work) this.bestNode = n;
    }
    if (this.nodes.size > this.maxHeaders) this.shrink();
  }

  /** A block was stored: its header leaves the tree (its children now link to the stored block). */
  stored(idHex: string): void {
    this.nodes.delete(idHex);
  }

  /**
   * A body under this header broke a rule: the header and everything built on it leave the tree,
   * and headers building on it are refused from now on.
   */
  invalidate(idHex: string): void {
    this.invalid.add(idHex);
    const children = new Map<string, string[]>();
    for (const n of this.nodes.values()) {
      const c = children.get(n.parentHex);
      if (c) c.push(n.idHex);
      else children.set(n.parentHex, [n.idHex]);
    }
    const doomed = new Set([idHex]);
    const todo = [idHex];
    while (todo.length) {
      for (const c of children.get(todo.pop()!) ?? []) {
        if (doomed.has(c)) continue;
        doomed.add(c);
        todo.push(c);
      }
    }
    for (const k of doomed) this.nodes.delete(k);
    this.bestNode = this.recomputeBest();
  }

  /** Drops every header not an ancestor of one of `keep` (the peers' best headers). */
  prune(keep: Iterable<string>): void {
    const live = new Set<string>();
    for (const k of keep) {
      let n = this.nodes.get(k);
      while (n && !live.has(n.idHex)) {
        live.add(n.idHex);
        n = this.nodes.get(n.parentHex);
      }
    }
    for (const k of [...this.nodes.keys()]) if (!live.has(k)) this.nodes.delete(k);
    this.bestNode = this.recomputeBest();
  }

  /**
   * The headers from the first one not stored up to `tip` (oldest first): the blocks to download.
   * Stops at the first ancestor that is not in the tree (a stored block).
   */
  pathTo(tip: HeaderNode): HeaderNode[] {
    const path: HeaderNode[] = [];
    let n: HeaderNode | undefined = tip;
    while (n) {
      path.push(n);
      n = this.nodes.get(n.parentHex);
    }
    return path.reverse();
  }

  private recomputeBest(): HeaderNode | undefined {
    let best: HeaderNode | undefined;
    for (const n of this.nodes.values()) if (!best || n.work > best.work) best = n;
    return best;
  }

  private shrink(): void {
    const sorted = [...this.nodes.values()].sort((a, b) => (a.work < b.work ? -1 : a.work > b.work ? 1 : 0));
    for (const n of sorted.slice(0, this.nodes.size - this.maxHeaders)) this.nodes.delete(n.idHex);
    this.bestNode = this.recomputeBest();
  }

  private async link(idHex: string, id: Uint8Array, local: Map<string, HeaderNode>, overlay?: Map<string, HeaderNode>): Promise<Link | undefined> {
    if (this.invalid.has(idHex)) return { idHex, id, height: 0, timestamp: 0, target: 0n, work: 0n, parentHex: '', stored: true, invalid: true };
    const n = local.get(idHex) ?? overlay?.get(idHex) ?? this.nodes.get(idHex);
    if (n) return nodeLink(n);
    const e = await this.chain.entry(id);
    if (!e) return undefined;
    return {
      idHex, id, height: e.height, timestamp: e.timestamp, target: targetToBigInt(e.target), work: e.work, parentHex: toHex(e.parent),
      stored: true, invalid: e.status === BlockStatus.Invalid,
    };
  }

  private async parentOf(l: Link, local: Map<string, HeaderNode>, overlay?: Map<string, HeaderNode>): Promise<Link | undefined> {
    if (l.height === 0) return undefined;
    return this.link(l.parentHex, fromHexId(l.parentHex), local, overlay);
  }

  private async ancestorAt(l: Link, height: number, local: Map<string, HeaderNode>, overlay?: Map<string, HeaderNode>): Promise<Link> {
    let cur = l;
    while (cur.height > height) {
      // Main-chain membership costs a store read: asked only here, where it saves a walk.
      if (cur.stored && (await this.chain.isMain(cur))) {
        const id = await this.chain.store.getMainId(height);
        const e = id && (await this.link(toHex(id), id, local, overlay));
        if (e) return e;
      }
      const p = await this.parentOf(cur, local, overlay);
      if (!p) throw new SyncError('invalid-header', `ancestor at height ${height} unknown`);
      cur = p;
    }
    return cur;
  }

  private async context(parent: Link, local: Map<string, HeaderNode>, overlay?: Map<string, HeaderNode>): Promise<ParentContext> {
    // A relayed block builds on our tip: its context is the chain's own for the next block,
    // computed once per tip (a parent's context never changes), not walked per header.
    if (parent.stored && parent.idHex === this.chain.tip.idHex) {
      if (this.tipContext?.idHex !== parent.idHex) {
        const next = await this.chain.nextBlockContext();
        if (toHex(next.prevHash) === parent.idHex) {
          this.tipContext = { idHex: parent.idHex, ctx: { id: next.prevHash, height: next.height - 1, expectedTarget: next.target, medianTimePast: next.minTimestamp - 1 } };
        }
      }
      if (this.tipContext?.idHex === parent.idHex) return this.tipContext.ctx;
    }
    const stamps: number[] = [];
    let cur: Link | undefined = parent;
    for (let i = 0; i < MEDIAN_TIME_SPAN && cur; i++) {
      stamps.push(cur.timestamp);
      cur = await this.parentOf(cur, local, overlay);
    }
    const params = this.chain.params;
    const window = retargetWindow(parent.height + 1, params);
    let expectedTarget = parent.target;
    if (window) {
      const first = await this.ancestorAt(parent, window.firstHeight, local, overlay);
      expectedTarget = retargetTarget(params, parent.target, window, first.timestamp, parent.timestamp);
    }
    return { id: parent.id, height: parent.height, expectedTarget, medianTimePast: medianTimePast(stamps) };
  }
}

function nodeLink(n: HeaderNode): Link {
  return { idHex: n.idHex, id: n.id, height: n.height, timestamp: n.header.timestamp, target: targetToBigInt(n.header.target), work: n.work, parentHex: n.parentHex, stored: false, invalid: false };
}

function fromHexId(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
