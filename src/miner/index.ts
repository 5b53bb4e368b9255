// miner/: block templates and the worker-thread proof-of-work search (WASM SIMD kernel, JS fallback).
export { buildTemplate, type BlockTemplate, type TemplateOptions } from './template.js';
export { HeaderHasher, compress, sha256dHeader, wordsToBytes } from './sha256-midstate.js';
export {
  MINER_IMPLS, SEARCH_EXHAUSTED, SEARCH_STOPPED, JsKernel, WasmKernel, createKernel, loadKernelModule, resolveKernel,
  type MinerImpl, type KernelKind, type PowKernel, type ResolvedKernel, type SearchProgress,
} from './pow-kernel.js';
export { PowSearcher, defaultThreads, verifyFound, type PowSearcherOptions, type SearchResult, type SearchRange } from './pow-search.js';
export { Miner, type MinerOptions, type MinedEvent, type MinerEvents } from './miner.js';
