#!/usr/bin/env node
// Build step after tsc: generates the miner's WebAssembly kernels from their source
// (dist/src/miner/wasm/pow-kernel-wat.js) and assembles them with wabt, next to the compiled
// loader. The .wat text is written beside each .wasm for reading; neither is committed.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

const outDir = new URL('../dist/src/miner/wasm/', import.meta.url);
const { powKernelWat } = await import(new URL('pow-kernel-wat.js', outDir).href);
const wabt = await wabtInit();
for (const [name, simd] of [['pow-simd', true], ['pow-scalar', false]]) {
  const wat = powKernelWat({ simd });
  writeFileSync(new URL(`${name}.wat`, outDir), wat);
  const mod = wabt.parseWat(`${name}.wat`, wat, { simd: true });
  mod.validate();
  const { buffer } = mod.toBinary({});
  mod.destroy();
  writeFileSync(new URL(`${name}.wasm`, outDir), buffer);
  process.stderr.write(`build-wasm: ${fileURLToPath(new URL(`${name}.wasm`, outDir))} (${buffer.length} bytes)\n`);
}
