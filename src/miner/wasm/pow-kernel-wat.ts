// Generates the WebAssembly text of the proof-of-work kernel (the "perlasm" of this miner): the
// nonce search as straight-line, fully unrolled SHA-256d, either 128-bit SIMD with one nonce per
// i32x4 lane (multi-buffer SHA-256, four nonces per call of $hash) or scalar i32. The build
// (scripts/build-wasm.mjs) assembles both with wabt; nothing binary is committed.
//
// The generator folds constants symbolically. Every value is a sum of a compile-time immediate,
// template constants (words that depend on the header but not on the nonce, computed once per
// template by the exported `prepare`) and per-nonce variables. Operations on constant inputs are
// evaluated at generation time or moved into `prepare`; only nonce-dependent work is emitted into
// the hot loop. So the first 12 rounds of the tail block (words before the nonce), the
// nonce-independent schedule words, the constant padding words of the second hash and every
// K[t] + W[t] with a constant W[t] cost nothing per nonce, and the last round's unused `e` is
// never computed. The search exits to JavaScript only when a lane's top output word is <= the
// target's top word; the caller then checks the full 256-bit comparison.
import { K, IV } from '../sha256-midstate.js';

/** Byte offsets in the kernel's memory. The caller writes the inputs, then calls prepare(). */
export const KERNEL_LAYOUT = {
  /** 8 words: SHA-256 state after the header's first 64 bytes. */
  midstate: 0,
  /** 16 words: the padded tail block (word 12, the nonce, is ignored). */
  tail: 32,
  /** 8 words: the target, most significant word first. */
  target: 96,
  /** Out: bit k set when lane k of the reported group passed the top-word test. */
  outMask: 160,
  /** Out: nonces done (from `start`) before the reported group, or before stopping. */
  outOffset: 164,
  /** prepare() writes the template constants here, 16 bytes each. */
  slots: 256,
} as const;

/** The kernel calls poll(done) every this many nonces; a zero answer stops the search. */
export const KERNEL_POLL_NONCES = 16384;

/** search() status codes. */
export const KERNEL_STATUS = { exhausted: 0, candidate: 1, stopped: 2 } as const;

type ConstRef = { imm: number } | { local: string };

/** A symbolic 32-bit value: imm + sum(template locals) + sum(per-nonce locals), mod 2^32. */
interface Val {
  readonly imm: number;
  readonly tpl: readonly string[];
  readonly vars: readonly string[];
  /** Memo: this value materialized as a single per-nonce local. */
  mat?: Val;
  /** Memo: the constant part folded into one template local or immediate. */
  constRef?: ConstRef;
}

const u32 = (x: number): number => x >>> 0;
const rotr = (x: number, n: number): number => u32((x >>> n) | (x << (32 - n)));
const JS_OPS = {
  S0: (x: number) => u32(rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22)),
  S1: (x: number) => u32(rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25)),
  s0: (x: number) => u32(rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3)),
  s1: (x: number) => u32(rotr(x, 17) ^ rotr(x, 19) ^ (x >>> 10)),
  xor: (x: number, y: number) => u32(x ^ y),
  and: (x: number, y: number) => u32(x & y),
  ch: (e: number, f: number, g: number) => u32((e & f) ^ (~e & g)),
};
type OpName = keyof typeof JS_OPS;

/** WAT text for one operation over operand expressions (each a cheap, repeatable local.get or load). */
function watOp(simd: boolean, op: OpName, a: string[]): string {
  const xor = simd ? 'v128.xor' : 'i32.xor';
  const shr = (x: string, n: number): string => (simd ? `(i32x4.shr_u ${x} (i32.const ${n}))` : `(i32.shr_u ${x} (i32.const ${n}))`);
  const shl = (x: string, n: number): string => `(i32x4.shl ${x} (i32.const ${n}))`;
  // No SIMD rotate: the two halves of each rotation are xored in directly (the bits never overlap).
  const rot = (x: string, n: number): string[] => (simd ? [shr(x, n), shl(x, 32 - n)] : [`(i32.rotr ${x} (i32.const ${n}))`]);
  // A chain, not a balanced tree: fewer live temporaries, which measured faster (16 xmm registers).
  const xorAll = (terms: string[]): string => terms.reduce((acc, t) => `(${xor} ${acc} ${t})`);
  const x = a[0]!;
  switch (op) {
    case 'S0': return xorAll([...rot(x, 2), ...rot(x, 13), ...rot(x, 22)]);
    case 'S1': return xorAll([...rot(x, 6), ...rot(x, 11), ...rot(x, 25)]);
    case 's0': return xorAll([...rot(x, 7), ...rot(x, 18), shr(x, 3)]);
    case 's1': return xorAll([...rot(x, 17), ...rot(x, 19), shr(x, 10)]);
    case 'xor': return `(${xor} ${x} ${a[1]!})`;
    case 'and': return simd ? `(v128.and ${x} ${a[1]!})` : `(i32.and ${x} ${a[1]!})`;
    case 'ch': return simd ? `(v128.bitselect ${a[1]!} ${a[2]!} ${x})` : `(i32.xor ${a[2]!} (i32.and ${x} (i32.xor ${a[1]!} ${a[2]!})))`;
  }
}

class KernelGenerator {
  /** Scalar code of prepare(): template constants into locals $p*, then the slot stores. */
  private readonly prep: string[] = [];
  private readonly slotStores: string[] = [];
  private prepLocals = 0;
  /** Straight-line code of $hash, one list per interleaved way: per-nonce values into locals. */
  private body: string[] = [];
  private prefix = '$v';
  private hashLocals = 0;
  private readonly slotOf = new Map<string, number>();
  private nextSlot: number = KERNEL_LAYOUT.slots;

  /** ways: independent groups hashed side by side in one $hash, so their rounds overlap in the CPU. */
  constructor(
    readonly simd: boolean,
    readonly ways: number,
  ) {}

  imm(v: number): Val {
    return { imm: u32(v), tpl: [], vars: [] };
  }

  /** A template word read from the caller's inputs in prepare(). */
  input(offset: number): Val {
    const p = `$p${this.prepLocals++}`;
    this.prep.push(`(local.set ${p} (i32.load offset=${offset} (i32.const 0)))`);
    return { imm: 0, tpl: [p], vars: [] };
  }

  param(name: string): Val {
    return { imm: 0, tpl: [], vars: [name] };
  }

  add(...terms: Val[]): Val {
    const vs = terms.map((v) => v.mat ?? v); // a sum already computed is one term, not its parts
    return { imm: u32(vs.reduce((s, v) => s + v.imm, 0)), tpl: vs.flatMap((v) => v.tpl), vars: vs.flatMap((v) => v.vars) };
  }

  /** The constant part as one immediate or one prepare() local. */
  private constRef(v: Val): ConstRef {
    if (v.constRef) return v.constRef;
    let r: ConstRef;
    if (v.tpl.length === 0) r = { imm: v.imm };
    else if (v.tpl.length === 1 && v.imm === 0) r = { local: v.tpl[0]! };
    else {
      const terms = [...v.tpl.map((t) => `(local.get ${t})`), ...(v.imm ? [`(i32.const ${v.imm | 0})`] : [])];
      r = { local: this.prepLocal(terms.reduce((acc, t) => `(i32.add ${acc} ${t})`)) };
    }
    v.constRef = r;
    return r;
  }

  private prepLocal(expr: string): string {
    const p = `$p${this.prepLocals++}`;
    this.prep.push(`(local.set ${p} ${expr})`);
    return p;
  }

  private prepExpr(r: ConstRef): string {
    return 'imm' in r ? `(i32.const ${r.imm | 0})` : `(local.get ${r.local})`;
  }

  /** A 16-byte slot holding a constant (splatted across lanes in the SIMD kernel). */
  slot(r: ConstRef): number {
    const key = 'imm' in r ? `i${r.imm}` : r.local;
    let off = this.slotOf.get(key);
    if (off === undefined) {
      off = this.nextSlot;
      this.nextSlot += 16;
      this.slotOf.set(key, off);
      const value = this.prepExpr(r);
      this.slotStores.push(this.simd ? `(v128.store offset=${off} (i32.const 0) (i32x4.splat ${value}))` : `(i32.store offset=${off} (i32.const 0) ${value})`);
    }
    return off;
  }

  /** Expression for the constant part in the hot loop. */
  private constExpr(r: ConstRef): string {
    if (!this.simd && 'imm' in r) return `(i32.const ${r.imm | 0})`;
    return this.simd ? `(v128.load offset=${this.slot(r)} (i32.const 0))` : `(i32.load offset=${this.slot(r)} (i32.const 0))`;
  }

  /** The whole value as a hot-loop expression. */
  expr(v: Val): string {
    const r = this.constRef(v);
    const hasConst = !('imm' in r) || r.imm !== 0;
    const terms = [...(hasConst ? [this.constExpr(r)] : []), ...v.vars.map((x) => `(local.get ${x})`)];
    if (terms.length === 0) return this.simd ? '(v128.const i32x4 0 0 0 0)' : '(i32.const 0)';
    const add = this.simd ? 'i32x4.add' : 'i32.add';
    return terms.reduce((acc, t) => `(${add} ${acc} ${t})`);
  }

  private hashLocal(expr: string): Val {
    const v = `${this.prefix}${this.hashLocals++}`;
    this.body.push(`(local.set ${v} ${expr})`);
    return this.param(v);
  }

  /** The value as a single per-nonce local (or unchanged when it is constant). */
  mat(v: Val): Val {
    if (v.vars.length === 0) return v;
    if (v.mat) return v.mat;
    const r = this.constRef(v);
    const m = v.vars.length === 1 && 'imm' in r && r.imm === 0 ? v : this.hashLocal(this.expr(v));
    v.mat = m;
    return m;
  }

  /** Materializes sums of several per-nonce terms, which would otherwise be re-added at each use. */
  matIfMulti(v: Val): Val {
    return v.vars.length > 1 ? this.mat(v) : v;
  }

  op(name: OpName, ...args: Val[]): Val {
    if (args.every((a) => a.vars.length === 0)) {
      const refs = args.map((a) => this.constRef(a));
      if (refs.every((r) => 'imm' in r)) return this.imm((JS_OPS[name] as (...x: number[]) => number)(...refs.map((r) => (r as { imm: number }).imm)));
      return { imm: 0, tpl: [this.prepLocal(watOp(false, name, refs.map((r) => this.prepExpr(r))))], vars: [] };
    }
    const operands = args.map((a) => {
      const m = this.mat(a);
      return m.vars.length ? `(local.get ${m.vars[0]!})` : this.expr(m);
    });
    return this.hashLocal(watOp(this.simd, name, operands));
  }

  /** 64 SHA-256 rounds over `w` (16 words; the schedule is extended lazily) from `state`. */
  compress(state: Val[], w: Val[]): Val[] {
    for (let t = 16; t < 64; t++) w[t] = this.matIfMulti(this.add(this.op('s1', w[t - 2]!), w[t - 7]!, this.op('s0', w[t - 15]!), w[t - 16]!));
    let [a, b, c, d, e, f, g, h] = state as [Val, Val, Val, Val, Val, Val, Val, Val];
    let bc = this.op('xor', b, c);
    for (let t = 0; t < 64; t++) {
      // Terms in order of readiness: the sums add the late ones (from this round's e) last.
      const t1 = this.matIfMulti(this.add(this.imm(K[t]!), h, w[t]!, this.op('ch', e, f, g), this.op('S1', e)));
      // Maj(a,b,c) = b ^ ((a^b) & (b^c)); this round's a^b is the next round's b^c.
      const ab = this.op('xor', a, b);
      const t2 = this.add(this.op('S0', a), this.op('xor', b, this.op('and', ab, bc)));
      bc = ab;
      h = g; g = f; f = e; e = this.add(d, t1); d = c; c = b; b = a; a = this.add(t2, t1);
    }
    return [a, b, c, d, e, f, g, h].map((v, i) => this.add(state[i]!, v));
  }

  /** SHA-256d of the header with nonce `n` (a per-nonce input), up to the id's top word. */
  private topWord(n: string): string {
    const L = KERNEL_LAYOUT;
    const mid = Array.from({ length: 8 }, (_, i) => this.input(L.midstate + 4 * i));
    const tail: Val[] = Array.from({ length: 12 }, (_, i) => this.input(L.tail + 4 * i));
    tail.push(this.param(n), this.imm(0x80000000), this.imm(0), this.imm(116 * 8));
    const first = this.compress(mid, tail).map((v) => this.matIfMulti(v));
    const second = this.compress(Array.from(IV, (x) => this.imm(x)), [...first, this.imm(0x80000000), ...Array<Val>(6).fill(this.imm(0)), this.imm(256)]);
    return this.expr(second[0]!);
  }

  module(): string {
    const L = KERNEL_LAYOUT;
    const T = this.simd ? 'v128' : 'i32';
    const width = this.simd ? 4 : 1;
    const lanes = width * this.ways;
    const decls: string[] = [];
    const bodies: string[][] = [];
    const tops: string[] = [];
    for (let w = 0; w < this.ways; w++) {
      this.body = [];
      this.prefix = `$w${w}v`;
      this.hashLocals = 0;
      tops.push(this.topWord(`$n${w}`));
      bodies.push(this.body);
      decls.push(...Array.from({ length: this.hashLocals }, (_, i) => `(local ${this.prefix}${i} ${T})`));
    }
    // Interleave the ways line by line: independent work side by side for the out-of-order core.
    const body = Array.from({ length: Math.max(...bodies.map((b) => b.length)) }, (_, i) => bodies.flatMap((b) => (i < b.length ? [b[i]!] : []))).flat();
    const target0 = this.slot(this.constRef(this.input(L.target)));

    const ws = Array.from({ length: this.ways }, (_, w) => w);
    const nonceArgs = ws
      .map((w) =>
        this.simd
          ? `(i32x4.add (i32x4.splat (i32.add (local.get $start) (local.get $i))) (v128.const i32x4 ${[0, 1, 2, 3].map((j) => w * 4 + j).join(' ')}))`
          : `(i32.add (local.get $start) (i32.add (local.get $i) (i32.const ${w})))`,
      )
      .join(' ');
    const passOf = (w: number): string => (this.simd ? `(i32x4.bitmask (i32x4.le_u (local.get $r${w}) (local.get $t0)))` : `(i32.le_u (local.get $r${w}) (local.get $t0))`);
    const hashCall = `(call $hash ${nonceArgs})\n        ${ws.map((w) => `local.set $r${this.ways - 1 - w}`).join('\n        ')}`;
    const passMask = ws.map((w) => (w === 0 ? passOf(0) : `(i32.shl ${passOf(w)} (i32.const ${w * width}))`)).reduce((acc, m) => `(i32.or ${acc} ${m})`);
    return `(module
  (import "env" "poll" (func $poll (param i32) (result i32)))
  (memory (export "memory") 1)
  (func $hash ${ws.map((w) => `(param $n${w} ${T})`).join(' ')} (result ${ws.map(() => T).join(' ')}) ${decls.join(' ')}
    ${body.join('\n    ')}
    ${tops.join('\n    ')})
  (func (export "prepare") ${Array.from({ length: this.prepLocals }, (_, i) => `(local $p${i} i32)`).join(' ')}
    ${this.prep.join('\n    ')}
    ${this.slotStores.join('\n    ')})
  ;; search(start, count): hashes nonces start + i (mod 2^32) for i < count, ${lanes} at a time.
  (func (export "search") (param $start i32) (param $count i32) (result i32) (local $i i32) (local $nextPoll i32) (local $mask i32) (local $t0 ${T}) ${ws.map((w) => `(local $r${w} ${T})`).join(' ')}
    (local.set $t0 (${T}.load offset=${target0} (i32.const 0)))
    (local.set $nextPoll (i32.const ${KERNEL_POLL_NONCES}))
    (block $done
      (loop $group
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (if (i32.ge_u (local.get $i) (local.get $nextPoll))
          (then
            (if (i32.eqz (call $poll (local.get $i)))
              (then
                (i32.store offset=${L.outOffset} (i32.const 0) (local.get $i))
                (return (i32.const ${KERNEL_STATUS.stopped}))))
            (local.set $nextPoll (i32.add (local.get $i) (i32.const ${KERNEL_POLL_NONCES})))))
        ${hashCall}
        (local.set $mask ${passMask})
        (if (local.get $mask)
          (then
            ;; the last group may run past count: drop those lanes
            (if (i32.lt_u (i32.sub (local.get $count) (local.get $i)) (i32.const ${lanes}))
              (then (local.set $mask (i32.and (local.get $mask) (i32.sub (i32.shl (i32.const 1) (i32.sub (local.get $count) (local.get $i))) (i32.const 1))))))
            (if (local.get $mask)
              (then
                (i32.store offset=${L.outMask} (i32.const 0) (local.get $mask))
                (i32.store offset=${L.outOffset} (i32.const 0) (local.get $i))
                (return (i32.const ${KERNEL_STATUS.candidate}))))))
        (local.set $i (i32.add (local.get $i) (i32.const ${lanes})))
        (br $group)))
    (i32.store offset=${L.outOffset} (i32.const 0) (local.get $count))
    (i32.const ${KERNEL_STATUS.exhausted})))
`;
  }
}

/**
 * Independent i32x4 groups interleaved in one $hash. Two (eight nonces) measured ~15% slower than
 * one on this machine: V8 has 16 xmm registers and spills. Kept as a knob; the tests pass with 2.
 */
const SIMD_WAYS = 1;

/** Nonces per $hash call: SIMD_WAYS i32x4 groups, or one scalar nonce. */
export function kernelLanes(simd: boolean): number {
  return simd ? 4 * SIMD_WAYS : 1;
}

/** The kernel's WebAssembly text: SIMD (four nonces per i32x4 group) or scalar. */
export function powKernelWat(opts: { simd: boolean }): string {
  return new KernelGenerator(opts.simd, opts.simd ? SIMD_WAYS : 1).module();
}
