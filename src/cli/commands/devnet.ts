// `kadchain devnet`: a local network on 127.0.0.1. Spawns N `kadchain node` child processes, the
// first as the seed and the rest bootstrapping from it, each with its own data dir, P2P port and
// API port; miners on the first M. Logs go to a file per node; Ctrl-C stops them all.
// The wallet password for new mining wallets reaches only the mining nodes that need it, through
// their standard input (`--password-file -`), never through the environment.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../../api/client.js';
import type { StatusJson } from '../../api/types.js';
import { ensurePrivateDir } from '../../node/key-file.js';
import { DEFAULTS, defaultDataDir, expandPath } from '../config.js';
import { prepareDevnetDir, resetDevnetDir } from '../devnet-dir.js';
import { Keystore } from '../keystore.js';
import { passwordAvailable, readPassword } from '../prompt.js';
import { CliError } from '../errors.js';
import { table } from '../format.js';

export interface DevnetOptions {
  nodes: string;
  mine: string;
  basePort: string;
  apiBasePort: string;
  dir?: string;
  genesis?: string;
  threads: string;
  logLevel: string;
  fresh?: boolean;
  passwordFile?: string;
  allowEmptyPassword?: boolean;
}

interface DevNode {
  index: number;
  dataDir: string;
  port: number;
  apiPort: number;
  mining: boolean;
  child: ChildProcess;
  log: string;
  exited: boolean;
}

const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

function int(value: string, min: number, max: number, flag: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function devnetCommand(o: DevnetOptions): Promise<number> {
  const count = int(o.nodes, 1, 64, '--nodes');
  const miners = int(o.mine, 0, count, '--mine');
  const basePort = int(o.basePort, 1, 65535 - count + 1, '--base-port');
  const apiBase = int(o.apiBasePort, 1, 65535 - count + 1, '--api-base-port');
  const threads = int(o.threads, 1, 256, '--threads');
  if (apiBase <= basePort + count - 1 && basePort <= apiBase + count - 1) throw new CliError('--base-port and --api-base-port ranges overlap');
  const dir = o.dir ? expandPath(o.dir, process.cwd()) : join(defaultDataDir(), 'devnet');
  if (o.fresh) resetDevnetDir(dir);
  prepareDevnetDir(dir);
  const genesis = o.genesis ? expandPath(o.genesis, process.cwd()) : undefined;

  // One password for the mining nodes that still need a wallet; none asked if they all have one.
  const needWallet = Array.from({ length: miners }, (_, i) => i).filter((i) => !new Keystore(join(dir, `node${i}`, 'wallets')).exists(DEFAULTS.minerWallet));
  let password = '';
  if (needWallet.length && !o.allowEmptyPassword && passwordAvailable({ passwordFile: o.passwordFile })) {
    password = await readPassword('Password for the mining wallets (empty: none): ', { confirm: true, passwordFile: o.passwordFile });
  }
  if (needWallet.length && password === '') {
    process.stderr.write(`note: the devnet's mining wallets are NOT protected by a password (give one with --password-file or KADCHAIN_PASSWORD)\n`);
  }

  const nodes: DevNode[] = [];
  let shuttingDown = false;
  const stopAll = async (): Promise<void> => {
    shuttingDown = true;
    for (const n of nodes) if (!n.exited) n.child.kill('SIGTERM');
    // Deadlines on the monotonic clock: a wall-clock step must not SIGKILL a node mid-shutdown.
    const deadline = performance.now() + 6000;
    while (nodes.some((n) => !n.exited) && performance.now() < deadline) await sleep(100);
    for (const n of nodes) if (!n.exited) n.child.kill('SIGKILL');
    while (nodes.some((n) => !n.exited) && performance.now() < deadline + 2000) await sleep(50);
  };

  for (let i = 0; i < count; i++) {
    const dataDir = join(dir, `node${i}`);
    ensurePrivateDir(dataDir);
    const args = [MAIN, 'node', '--data-dir', dataDir, '--host', '127.0.0.1', '--port', String(basePort + i), '--api-host', '127.0.0.1', '--api-port', String(apiBase + i), '--log-level', o.logLevel];
    if (genesis) args.push('--genesis', genesis);
    if (i > 0) args.push('--bootstrap', `127.0.0.1:${basePort}`);
    if (i < miners) args.push('--mine', '--threads', String(threads));
    const sendPassword = needWallet.includes(i) && password !== '';
    if (needWallet.includes(i)) args.push(...(sendPassword ? ['--password-file', '-'] : ['--allow-empty-password']));
    const log = join(dataDir, 'node.log');
    const fd = openSync(log, 'a');
    // The child's settings come from these flags only: a KADCHAIN_* variable meant for this
    // command must not leak into every node.
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KADCHAIN_')) env[k] = v;
    const child = spawn(process.execPath, args, { stdio: [sendPassword ? 'pipe' : 'ignore', fd, fd], env });
    closeSync(fd);
    if (sendPassword) {
      child.stdin!.on('error', () => undefined); // a child that died early is reported by 'exit'
      child.stdin!.end(password + '\n');
    }
    const n: DevNode = { index: i, dataDir, port: basePort + i, apiPort: apiBase + i, mining: i < miners, child, log, exited: false };
    child.on('exit', (code, signal) => {
      n.exited = true;
      if (!shuttingDown) process.stderr.write(`node ${i} exited (${signal ?? `code ${code}`}); last log lines:\n${tail(log)}\n`);
    });
    nodes.push(n);
    // Let the seed bind its ports before the others try to reach it.
    if (i === 0 && count > 1) await waitReady(n, 20_000).catch(() => undefined);
  }

  const onSignal = (): void => {
    if (shuttingDown) return;
    process.stderr.write('\nstopping the devnet...\n');
    void stopAll().then(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const results = await Promise.all(
    nodes.map((n) => waitReady(n, 30_000).then((s): { n: DevNode; s?: StatusJson; e?: Error } => ({ n, s }), (e: Error): { n: DevNode; s?: StatusJson; e?: Error } => ({ n, e }))),
  );
  const failed = results.filter((r) => r.e);
  if (failed.length) {
    for (const r of failed) process.stderr.write(`node ${r.n.index} did not start: ${r.e!.message}\n${tail(r.n.log)}\n`);
    await stopAll();
    throw new CliError(`devnet failed to start (${failed.length} of ${count} nodes); logs are in ${dir}`);
  }

  const rows = results.map(({ n, s }) => [String(n.index), `127.0.0.1:${n.port}`, `http://127.0.0.1:${n.apiPort}/`, n.mining ? 'yes' : 'no', s?.mining.address ?? '-']);
  process.stdout.write(`devnet of ${count} node${count === 1 ? '' : 's'} in ${dir}\n\n`);
  process.stdout.write(table(['NODE', 'P2P', 'API / EXPLORER', 'MINING', 'MINER ADDRESS'], rows) + '\n\n');
  if (miners > 0) process.stdout.write(`Mining rewards go to the "miner" wallet of each mining node, e.g.\n  kadchain wallet show --name miner --wallet-dir ${join(nodes[0]!.dataDir, 'wallets')}\n`);
  process.stdout.write(`Logs: ${join(dir, 'node<N>', 'node.log')}. Press Ctrl-C to stop all nodes.\n`);

  // Stay up until a signal; exits through onSignal.
  return new Promise<number>(() => {});
}

/** Polls a node's /api/status until it answers; fails early if the process exits. */
async function waitReady(n: DevNode, timeoutMs: number): Promise<StatusJson> {
  const client = new ApiClient(`http://127.0.0.1:${n.apiPort}`, { timeoutMs: 2000 });
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (n.exited) throw new Error('the process exited');
    try {
      return await client.status();
    } catch {
      if (performance.now() > deadline) throw new Error(`no answer on port ${n.apiPort} within ${timeoutMs / 1000} s`);
      await sleep(200);
    }
  }
}
