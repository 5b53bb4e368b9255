// One place that closes what tests start: temp dirs, child processes, servers, nodes, chains.
//
// Two layers, so cleanup holds even when a test fails, times out or never reaches its `finally`:
// - `track(t, resource)` closes the resource in the test's (or file's) `after` hook, last opened
//   first closed, each close bounded so one stuck close cannot hold up the rest;
// - every temp dir and child process a helper creates is also registered with a process-wide
//   backstop that removes/kills it when the test process exits (normally, by the runner's forced
//   exit, or on SIGTERM/SIGINT). Children started with `spawnTracked` also exit by themselves when
//   their stdin closes, which covers a test process killed with SIGKILL.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What cleanup needs of node:test: a TestContext (`t.after`), or the file-level `after` as `{ after }`. */
export interface AfterHook {
  after(fn: () => unknown): void;
}

/** Anything with a close or stop method (Chain, ApiServer, RunningNode, P2PNetwork, KadNode, ws). */
export type Closeable = { close(): unknown } | { stop(): unknown };

/** How long one close may take in an `after` hook before it is reported and the rest go on. */
const CLOSE_TIMEOUT_MS = 15_000;

// ---- process-wide backstop ----------------------------------------------------------------------

const backstop = new Set<() => void>();
let backstopInstalled = false;

function runBackstop(): void {
  for (const fn of [...backstop].reverse()) {
    try {
      fn();
    } catch {
      // best effort: the process is going away
    }
  }
  backstop.clear();
}

/** Registers a synchronous last-resort cleanup; returns the function that unregisters it. */
function onProcessExit(fn: () => void): () => void {
  if (!backstopInstalled) {
    backstopInstalled = true;
    process.once('exit', runBackstop);
    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      process.once(signal, () => {
        runBackstop();
        process.exit(code);
      });
    }
  }
  backstop.add(fn);
  return () => backstop.delete(fn);
}

// ---- per-test tracking --------------------------------------------------------------------------

const stacks = new WeakMap<AfterHook, (() => Promise<void>)[]>();

/** Registers `close` to run in `t`'s after hook (LIFO with the others registered on `t`). */
export function defer(t: AfterHook, close: () => unknown): void {
  let stack = stacks.get(t);
  if (!stack) {
    const fresh: (() => Promise<void>)[] = [];
    stacks.set(t, fresh);
    t.after(() => closeAll(fresh));
    stack = fresh;
  }
  stack.push(async () => {
    await close();
  });
}

async function closeAll(stack: (() => Promise<void>)[]): Promise<void> {
  const errors: unknown[] = [];
  while (stack.length) {
    const close = stack.pop()!;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`a close did not finish within ${CLOSE_TIMEOUT_MS} ms`)), CLOSE_TIMEOUT_MS);
    });
    try {
      await Promise.race([close(), timeout]);
    } catch (err) {
      errors.push(err);
    } finally {
      clearTimeout(timer);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cleanups failed`);
}

/** Closes (stop() or close()) `resource` after the test, even if it fails; returns the resource. */
export function track<T extends Closeable>(t: AfterHook, resource: T): T {
  defer(t, () => ('stop' in resource ? resource.stop() : resource.close()));
  return resource;
}

// ---- temp dirs ----------------------------------------------------------------------------------

export interface TempDir {
  path: string;
  /** Removes the dir; idempotent. */
  cleanup(): void;
}

/** A fresh temp dir, removed by `cleanup()`, by `t`'s after hook if given, and at process exit. */
export function tempDir(label = 'kadchain-test-', t?: AfterHook): TempDir {
  const path = mkdtempSync(join(tmpdir(), label));
  const remove = (): void => rmSync(path, { recursive: true, force: true, maxRetries: 3 });
  const unregister = onProcessExit(remove);
  const dir: TempDir = {
    path,
    cleanup() {
      unregister();
      remove();
    },
  };
  if (t) defer(t, () => dir.cleanup());
  return dir;
}

// ---- child processes ----------------------------------------------------------------------------

const exited = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** SIGKILLs `child` unless it has exited, and waits (bounded) until it has. */
async function killChild(child: ChildProcess, waitMs = 10_000): Promise<void> {
  if (exited(child)) return;
  const gone = once(child, 'exit');
  child.kill('SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
  clearTimeout(timer);
}

/**
 * Registers an already spawned child: killed in `t`'s after hook if given and still running, and
 * at process exit in any case. Returns the child.
 */
export function trackChild<T extends ChildProcess>(child: T, t?: AfterHook): T {
  const unregister = onProcessExit(() => {
    if (!exited(child)) child.kill('SIGKILL');
  });
  child.once('exit', () => unregister());
  if (t) defer(t, () => killChild(child));
  return child;
}

/**
 * Spawns a node script as a tracked child (see `trackChild`). Its stdin is a pipe the test never
 * ends, so a helper child that exits on stdin 'end' (see `exitWithParent`) dies with the test
 * process however that ends.
 */
export function spawnTracked(script: string, args: string[], opts: SpawnOptions & { t?: AfterHook } = {}): ChildProcess {
  const { t, ...spawnOpts } = opts;
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'], ...spawnOpts });
  return trackChild(child, t);
}

/** For helper children: exit when the parent's end of stdin closes (the parent is gone). */
export function exitWithParent(code = 0): void {
  process.stdin.on('end', () => process.exit(code));
  process.stdin.resume();
}
