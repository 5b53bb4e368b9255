// Preloaded (`--import`) into every test-file process the runner starts, on node 20 only: gives
// each test and hook that names no timeout of its own a default one, so a test waiting on an event
// that never comes fails by its own name and the rest of its file still runs.
//
// Why: node 20 applies `--test-timeout` only in the parent runner, to each file as a whole (the
// child process ignores it), so a hang is reported as "file timed out" with no test name. Node >= 22
// applies it per test and needs no preload. Explicit `{ timeout }` options still win, so a test that
// needs longer says so in its own options.
//
// How: the test's timeout starts from its parent's (the root's is unset), so an accessor on the
// runner's Test class turns "unset" into the default. That class is internal: the runner passes
// --expose-internals, and if the shape is not what we expect we leave things alone and say so (the
// per-file timeout still bounds the file). The default comes in this module's URL (`?timeout=ms`),
// not the environment, so processes that tests spawn never see it.
import { createRequire } from 'node:module';

const ms = Number(new URL(import.meta.url).searchParams.get('timeout'));

function install() {
  let Test;
  try {
    ({ Test } = createRequire(import.meta.url)('internal/test_runner/test'));
  } catch {
    return 'internal/test_runner/test is not loadable (run with --expose-internals)';
  }
  if (typeof Test !== 'function' || Object.getOwnPropertyDescriptor(Test.prototype, 'timeout')) {
    return 'the Test class does not have the expected shape';
  }
  const own = Symbol('timeout');
  Object.defineProperty(Test.prototype, 'timeout', {
    configurable: true,
    get() {
      return this[own];
    },
    set(value) {
      this[own] = value == null || value === Infinity ? ms : value;
    },
  });
  return undefined;
}

if (Number.isSafeInteger(ms) && ms > 0) {
  const problem = install();
  if (problem) process.emitWarning(`per-test default timeout not installed: ${problem}`, { code: 'KADCHAIN_TEST_TIMEOUT' });
}
