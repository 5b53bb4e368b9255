// The nonce-search kernels behind one interface: the WebAssembly SIMD kernel (four nonces per
// i32x4), the scalar WebAssembly kernel where SIMD is unavailable, and the JavaScript loop as the
// last fallback. Owns loading and checking the compiled modules (built from wasm/pow-kernel-wat.ts
// by `npm run build`) and the full 256-bit check of every candidate the WASM kernels report.
import { readFileSync } from 'node:fs';
import { sha256d } from '../crypto/index.js';
import { HEADER_BYTES } from '../core/index.js';
import { HeaderHasher } from './sha256-midstate.js';
import { KERNEL_LAYOUT, KERNEL_STATUS, kernelLanes } from './wasm/pow-kernel-wat.js';

/** What `--miner-impl` chooses: WASM (SIMD, else scalar, else JS) or the JS loop. */
export type MinerImpl = 'wasm' | 'js';
export const MINER_IMPLS: readonly MinerImpl[] = ['wasm', 'js'];
export type KernelKind = 'wasm-simd' | 'wasm-scalar' | 'js';

/** search() results besides a nonce (>= 0). */
export const SEARCH_EXHAUSTED = -1;
export const SEARCH_STOPPED = -2;

/** Called with the hashes done since its last call; returning false stops the search. */
export type SearchProgress = (hashes: number) => boolean;

export interface PowKernel {
  readonly kind: KernelKind;
  setJob(header: Uint8Array, target: Uint8Array): void;
  /**
   * Searches nonces start, start + 1, ... (mod 2^32), `count` of them, and returns the first
   * whose double SHA-256 is <= the target, SEARCH_EXHAUSTED or SEARCH_STOPPED.
   */
  search(start: number, count: number, progress?: SearchProgress): number;
}

const always: SearchProgress = () => true;
/** Nonces per call into WASM: the boundary is crossed once per ~1M hashes (plus a poll per 16K). */
const WASM_CALL_NONCES = 1 << 20;
/** The JS loop checks for stale work between chunks of this many nonces. */
const JS_CHUNK = 8192;

export class JsKernel implements PowKernel {
  readonly kind = 'js' as const;
  private readonly hasher = new HeaderHasher();

  setJob(header: Uint8Array, target: Uint8Array): void {
    this.hasher.setHeader(header);
    this.hasher.setTarget(target);
  }

  search(start: number, count: number, progress: SearchProgress = always): number {
    for (let off = 0; off < count; off += JS_CHUNK) {
      const n = Math.min(JS_CHUNK, count - off);
      const found = this.hasher.search((start + off) >>> 0, n);
      if (found >= 0) {
        progress(((found - start - off) >>> 0) + 1);
        return found;
      }
      if (!progress(n)) return SEARCH_STOPPED;
    }
    return SEARCH_EXHAUSTED;
  }
}

interface KernelExports {
  memory: WebAssembly.Memory;
  prepare(): void;
  search(start: number, count: number): number;
}

export class WasmKernel implements PowKernel {
  private readonly exports: KernelExports;
  private readonly words: Int32Array;
  /** Nonces hashed side by side (one per i32x4 lane, two groups; or 1 for the scalar kernel). */
  readonly lanes: number;
  /** Full-precision check of candidates (the kernel compares only the top word). */
  private readonly hasher = new HeaderHasher();
  private progress: SearchProgress = always;
  private reported = 0;

  constructor(readonly kind: 'wasm-simd' | 'wasm-scalar', module: WebAssembly.Module) {
    const poll = (done: number): number => {
      const delta = done - this.reported;
      this.reported = done;
      return this.progress(delta) ? 1 : 0;
    };
    this.exports = new WebAssembly.Instance(module, { env: { poll } }).exports as unknown as KernelExports;
    // Memory is one fixed page: this view never detaches.
    this.words = new Int32Array(this.exports.memory.buffer, 0, KERNEL_LAYOUT.slots / 4);
    this.lanes = kernelLanes(kind === 'wasm-simd');
  }

  setJob(header: Uint8Array, target: Uint8Array): void {
    const h = this.hasher;
    h.setHeader(header);
    h.setTarget(target);
    const L = KERNEL_LAYOUT;
    this.words.set(h.midstate, L.midstate / 4);
    this.words.set(h.tail, L.tail / 4);
    this.words.set(h.target, L.target / 4);
    this.exports.prepare();
  }

  /** The kernel's own answer for the `lanes` nonces from `start`: bit k set when lane k's top id word <= the target's. */
  topWordMask(start: number): number {
    this.progress = always;
    const status = this.exports.search(start >>> 0, this.lanes);
    return status === KERNEL_STATUS.candidate ? this.words[KERNEL_LAYOUT.outMask / 4]! : 0;
  }

  search(start: number, count: number, progress: SearchProgress = always): number {
    this.progress = progress;
    const L = KERNEL_LAYOUT;
    let off = 0;
    while (off < count) {
      const n = Math.min(WASM_CALL_NONCES, count - off);
      this.reported = 0;
      const status = this.exports.search((start + off) >>> 0, n);
      const at = this.words[L.outOffset / 4]!;
      if (status === KERNEL_STATUS.stopped) return SEARCH_STOPPED;
      if (status === KERNEL_STATUS.exhausted) {
        off += n;
        if (!progress(n - this.reported)) return SEARCH_STOPPED;
        continue;
      }
      const mask = this.words[L.outMask / 4]!;
      for (let lane = 0; lane < this.lanes; lane++) {
        const nonce = (start + off + at + lane) >>> 0;
        if (mask & (1 << lane) && this.hasher.meetsTarget(nonce)) {
          progress(at + lane + 1 - this.reported);
          return nonce;
        }
      }
      // Top word equal to the target's but the rest above it: keep going after this group.
      const done = Math.min(at + this.lanes, n);
      off += done;
      if (!progress(done - this.reported)) return SEARCH_STOPPED;
    }
    return SEARCH_EXHAUSTED;
  }
}

const moduleCache = new Map<'wasm-simd' | 'wasm-scalar', WebAssembly.Module | Error>();

/** The compiled module for a WASM kernel, or the error that prevents it (missing build, no SIMD). */
export function loadKernelModule(kind: 'wasm-simd' | 'wasm-scalar'): WebAssembly.Module | Error {
  let m = moduleCache.get(kind);
  if (!m) {
    try {
      const bytes = readFileSync(new URL(kind === 'wasm-simd' ? './wasm/pow-simd.wasm' : './wasm/pow-scalar.wasm', import.meta.url));
      if (!WebAssembly.validate(bytes)) throw new Error(`${kind} kernel does not validate on this runtime`);
      m = new WebAssembly.Module(bytes);
      selfTest(new WasmKernel(kind, m));
    } catch (e) {
      m = e instanceof Error ? e : new Error(String(e));
    }
    moduleCache.set(kind, m);
  }
  return m;
}

/** Refuses a kernel that disagrees with the reference hash on a fixed header, at every lane. */
function selfTest(k: PowKernel): void {
  const header = Uint8Array.from({ length: HEADER_BYTES }, (_, i) => (i * 37 + 11) & 0xff);
  const base = 0xfffffffe; // the group wraps around 2^32
  const lanes = [0, 1, 2, 3, 4, 5, 6, 7];
  const ids = lanes.map((lane) => {
    new DataView(header.buffer).setUint32(HEADER_BYTES - 4, (base + lane) >>> 0);
    return sha256d(header);
  });
  for (const lane of lanes) {
    k.setJob(header, ids[lane]!); // the target is exactly this lane's id
    const first = ids.findIndex((id) => compareBytes(id, ids[lane]!) <= 0);
    if (k.search(base, lanes.length) !== ((base + first) >>> 0)) throw new Error(`${k.kind} kernel failed its self-test at lane ${lane}`);
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

export interface ResolvedKernel {
  kind: KernelKind;
  module?: WebAssembly.Module;
  /** Why a preferred kernel was skipped (for the log). */
  fallback?: string;
}

/** Picks the fastest kernel that loads and passes its self-test for the chosen implementation. */
export function resolveKernel(impl: MinerImpl = 'wasm'): ResolvedKernel {
  if (impl === 'js') return { kind: 'js' };
  const skipped: string[] = [];
  for (const kind of ['wasm-simd', 'wasm-scalar'] as const) {
    const m = loadKernelModule(kind);
    if (m instanceof WebAssembly.Module) return { kind, module: m, ...(skipped.length ? { fallback: skipped.join('; ') } : {}) };
    skipped.push(m.message);
  }
  return { kind: 'js', fallback: skipped.join('; ') };
}

/** A kernel instance (one per worker thread). */
export function createKernel(kind: KernelKind, module?: WebAssembly.Module): PowKernel {
  if (kind === 'js') return new JsKernel();
  const m = module ?? loadKernelModule(kind);
  if (m instanceof Error) throw m;
  return new WasmKernel(kind, m);
}
