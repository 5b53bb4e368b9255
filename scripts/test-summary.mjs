// Collects the events of node's test runner into the closing summary of `npm test`: counts, wall
// time, the slowest tests (a slow test is visible before it becomes a hang) and what is running now
// (named when the whole-run bound is hit).
import { relative, resolve } from 'node:path';

const FAILURE_NAMES = {
  testTimeoutFailure: 'timed out',
  cancelledByParent: 'cancelled',
  testAborted: 'aborted',
  hookFailure: 'hook failed',
};

export class TestSummary {
  #started = performance.now();
  #running = new Map();
  #durations = [];
  #failures = [];
  passed = 0;
  failed = 0;
  skipped = 0;
  todo = 0;

  /** Subscribes to a TestsStream from `run()`. */
  attach(stream) {
    stream.on('test:dequeue', (d) => this.#running.set(key(d), { where: where(d), since: performance.now() }));
    stream.on('test:complete', (d) => this.#running.delete(key(d)));
    stream.on('test:pass', (d) => this.#record(d, true));
    stream.on('test:fail', (d) => this.#record(d, false));
    return this;
  }

  #record(d, ok) {
    // A suite's result is the sum of its tests; a file that fails as a whole (crash, file timeout)
    // has no tests of its own and counts as one failure.
    if (d.details?.type === 'suite') return;
    if (d.todo !== undefined && d.todo !== false) this.todo++;
    else if (d.skip !== undefined && d.skip !== false) this.skipped++;
    else if (ok) this.passed++;
    else {
      this.failed++;
      const type = d.details?.error?.failureType;
      this.#failures.push(`${where(d)}${type in FAILURE_NAMES ? ` (${FAILURE_NAMES[type]})` : ''}`);
    }
    if (d.nesting === 0) this.#durations.push({ where: where(d), ms: d.details?.duration_ms ?? 0 });
  }

  get total() {
    return this.passed + this.failed + this.skipped + this.todo;
  }

  /** Files and tests started and not finished, longest-running first. */
  running() {
    const now = performance.now();
    return [...this.#running.values()]
      .map((r) => ({ where: r.where, ms: now - r.since }))
      .sort((a, b) => b.ms - a.ms);
  }

  /** The closing lines; the last one is `N passed, N failed` for CI. */
  lines(slowest = 10) {
    const wall = (performance.now() - this.#started) / 1000;
    const out = ['', '── summary ──'];
    out.push(`tests ${this.total}  passed ${this.passed}  failed ${this.failed}  skipped ${this.skipped}  todo ${this.todo}  wall ${wall.toFixed(1)} s`);
    const slow = [...this.#durations].sort((a, b) => b.ms - a.ms).slice(0, slowest);
    if (slow.length) {
      out.push(`slowest ${slow.length}:`);
      for (const s of slow) out.push(`  ${(s.ms / 1000).toFixed(1).padStart(7)} s  ${s.where}`);
    }
    if (this.#failures.length) {
      out.push('failed:');
      for (const f of this.#failures) out.push(`  ✖ ${f}`);
    }
    out.push(`${this.passed} passed, ${this.failed} failed`);
    return out;
  }
}

const key = (d) => `${d.file ?? ''}\0${d.nesting}\0${d.name}`;

/** "file › test" (or the file alone for a file-level result), relative to the working dir. */
function where(d) {
  if (!d.file) return d.name;
  const file = relative(process.cwd(), d.file);
  // node names a file's own result after its path (relative or absolute).
  const isFile = d.nesting === 0 && resolve(d.name) === resolve(d.file);
  return isFile ? file : `${file} › ${d.name}`;
}
