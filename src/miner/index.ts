// miner/: block templates, the template refresh policy and the worker-thread proof-of-work search
// (WASM SIMD kernel, JS fallback).
export { buildTemplate, templateRoom, type BlockTemplate, type TemplateOptions } from './template.js';
export { IncrementalMerkle } from './merkle-cache.js';
export { isMaterialGain, type TemplateReason } from './refresh-policy.js';
export { RefusalBackoff, DEFAULT_REFUSAL_BACKOFF, isStaleTip, type RefusalBackoffOptions } from './refusal-policy.js';
export { HeaderHasher, compress, sha256dHeader, wordsToBytes } from './sha256-midstate.js';
export {
  MINER_IMPLS, SEARCH_EXHAUSTED, SEARCH_STOPPED, JsKernel, WasmKernel, createKernel, loadKernelModule, resolveKernel,
  type MinerImpl, type KernelKind, type PowKernel, type ResolvedKernel, type SearchProgress,
} from './pow-kernel.js';
export { PowSearcher, defaultThreads, verifyFound, MAX_POW_THREADS, type PowSearcherOptions, type SearchResult, type SearchRange } from './pow-search.js';
export { Miner, type MinerOptions, type MinedEvent, type MinerEvents, type MinerStats, type TemplateEvent, type RefusedEvent } from './miner.js';
