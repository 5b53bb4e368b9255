// Settings for `kadchain node` (and the directory defaults every command shares), resolved with
// one precedence: command-line flag > KADCHAIN_* environment variable > JSON config file >
// built-in default. Pure apart from reading the config file, so it is tested directly.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { parseAddress, isCodedError } from '../core/index.js';
import type { LogLevel } from '../log/index.js';
import type { NodeOptions } from '../node/index.js';
import type { MinerImpl } from '../miner/index.js';
import { CliError } from './errors.js';

export type Source = 'flag' | 'env' | 'config' | 'default';

/** Raw flag values as commander hands them over (strings; undefined when not given). */
export interface NodeFlags {
  dataDir?: string;
  genesis?: string;
  host?: string;
  port?: string;
  apiHost?: string;
  apiPort?: string;
  apiAllowHost?: string[];
  bootstrap?: string[];
  mine?: boolean;
  minerAddress?: string;
  minerWallet?: string;
  walletDir?: string;
  threads?: string;
  minerImpl?: string;
  metrics?: boolean;
  logLevel?: string;
  config?: string;
  /** CLI-only (not in config files or the environment): how a new mining wallet gets its password. */
  passwordFile?: string;
  allowEmptyPassword?: boolean;
  /** Verify the store and exit (not a setting: flag only). */
  check?: boolean;
  /** Rebuild index and state from stored blocks before starting (flag only). */
  reindex?: boolean;
}

/** What `kadchain node` resolved: the node's own options plus the CLI's wallet and provenance. */
export interface NodeConfig extends Pick<NodeOptions, 'dataDir' | 'genesisPath' | 'host' | 'port' | 'apiHost' | 'apiPort' | 'apiAllowHosts' | 'bootstrap' | 'mine' | 'minerAddress' | 'threads' | 'minerImpl' | 'metrics'> {
  /** Wallet that receives mining rewards when no --miner-address is given. */
  minerWallet: string;
  walletDir: string;
  logLevel: LogLevel;
  configPath?: string;
  sources: Record<string, Source>;
}

export const DEFAULTS = { host: '127.0.0.1', port: 30420, apiHost: '127.0.0.1', apiPort: 8420, logLevel: 'info' as LogLevel, minerWallet: 'miner', nodeUrl: 'http://127.0.0.1:8420' };
/** `--miner-impl` choices (type-checked against the miner's; a value import would load the miner). */
const MINER_IMPLS: readonly MinerImpl[] = ['wasm', 'js'];
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Environment variable for each setting. */
export const ENV = {
  dataDir: 'KADCHAIN_DATA_DIR',
  genesis: 'KADCHAIN_GENESIS',
  host: 'KADCHAIN_HOST',
  port: 'KADCHAIN_PORT',
  apiHost: 'KADCHAIN_API_HOST',
  apiPort: 'KADCHAIN_API_PORT',
  apiAllowHost: 'KADCHAIN_API_ALLOW_HOST',
  bootstrap: 'KADCHAIN_BOOTSTRAP',
  mine: 'KADCHAIN_MINE',
  minerAddress: 'KADCHAIN_MINER_ADDRESS',
  minerWallet: 'KADCHAIN_MINER_WALLET',
  walletDir: 'KADCHAIN_WALLET_DIR',
  threads: 'KADCHAIN_THREADS',
  minerImpl: 'KADCHAIN_MINER_IMPL',
  metrics: 'KADCHAIN_METRICS',
  logLevel: 'KADCHAIN_LOG_LEVEL',
  config: 'KADCHAIN_CONFIG',
  node: 'KADCHAIN_NODE',
} as const;

const ConfigFileSchema = z
  .object({
    dataDir: z.string().min(1),
    genesis: z.string().min(1),
    host: z.string().min(1),
    port: z.number().int(),
    apiHost: z.string().min(1),
    apiPort: z.number().int(),
    apiAllowHost: z.union([z.array(z.string()), z.string()]),
    bootstrap: z.union([z.array(z.string()), z.string()]),
    mine: z.boolean(),
    minerAddress: z.string(),
    minerWallet: z.string(),
    walletDir: z.string().min(1),
    threads: z.number().int(),
    minerImpl: z.string(),
    metrics: z.boolean(),
    logLevel: z.string(),
  })
  .partial()
  .strict();

type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** "~/x" -> home/x; relative paths against `base`. */
export function expandPath(p: string, base: string, home = homedir()): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return isAbsolute(p) ? p : resolve(base, p);
}

export function defaultDataDir(home = homedir()): string {
  return join(home, '.kadchain');
}

/** Wallet directory: --wallet-dir > KADCHAIN_WALLET_DIR > <data dir>/wallets > ~/.kadchain/wallets. */
export function resolveWalletDir(flags: { walletDir?: string; dataDir?: string }, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), home = homedir()): string {
  const explicit = flags.walletDir ?? env[ENV.walletDir];
  if (explicit) return expandPath(explicit, cwd, home);
  const dataDir = flags.dataDir ?? env[ENV.dataDir];
  return join(dataDir ? expandPath(dataDir, cwd, home) : defaultDataDir(home), 'wallets');
}

/** --node > KADCHAIN_NODE > http://127.0.0.1:8420. */
export function resolveNodeUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? env[ENV.node] ?? DEFAULTS.nodeUrl;
}

function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError(`config file ${path}: invalid JSON: ${(e as Error).message}`);
  }
  const r = ConfigFileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.') || '(root)';
    const hint = issue.code === 'unrecognized_keys' ? ` (known keys: ${Object.keys(ConfigFileSchema.shape).join(', ')})` : '';
    throw new CliError(`config file ${path}: ${field === '(root)' ? '' : `field "${field}": `}${issue.message}${hint}`);
  }
  return r.data;
}

function intIn(value: string | number, min: number, max: number, what: string): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${what}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

function parseBool(value: string, what: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new CliError(`${what}: expected true or false, got ${JSON.stringify(value)}`);
}

function splitList(values: string[]): string[] {
  return values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
}

export function checkHostPort(s: string, what: string): string {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new CliError(`${what}: expected HOST:PORT (e.g. 127.0.0.1:30420), got ${JSON.stringify(s)}`);
  return s;
}

export function resolveNodeConfig(flags: NodeFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd(), home = homedir()): NodeConfig {
  const sources: Record<string, Source> = {};
  const configArg = flags.config ?? env[ENV.config];
  const configPath = configArg ? expandPath(configArg, cwd, home) : undefined;
  const file: ConfigFile = configPath ? readConfigFile(configPath) : {};
  const fileBase = configPath ? dirname(configPath) : cwd;

  // Each setting: the first of flag, env, config that is present, with a label for messages.
  function pick<K extends keyof NodeFlags & keyof ConfigFile & keyof typeof ENV>(key: K, flagName: string): { value: string | number | boolean | string[]; where: string; source: Source } | undefined {
    const f = flags[key];
    if (f !== undefined) {
      sources[key] = 'flag';
      return { value: f, where: flagName, source: 'flag' };
    }
    const e = env[ENV[key]];
    if (e !== undefined && e !== '') {
      sources[key] = 'env';
      return { value: e, where: ENV[key], source: 'env' };
    }
    const c = file[key];
    if (c !== undefined) {
      sources[key] = 'config';
      return { value: c, where: `${configPath} "${key}"`, source: 'config' };
    }
    sources[key] = 'default';
    return undefined;
  }
  const pathOf = (p: { value: unknown; source: Source }): string => expandPath(String(p.value), p.source === 'config' ? fileBase : cwd, home);

  const dd = pick('dataDir', '--data-dir');
  const dataDir = dd ? pathOf(dd) : defaultDataDir(home);
  const gp = pick('genesis', '--genesis');
  const host = pick('host', '--host');
  const port = pick('port', '--port');
  const apiHost = pick('apiHost', '--api-host');
  const apiPort = pick('apiPort', '--api-port');
  const allow = pick('apiAllowHost', '--api-allow-host');
  const apiAllowHosts = allow ? splitList(Array.isArray(allow.value) ? allow.value : [String(allow.value)]) : [];
  const boot = pick('bootstrap', '--bootstrap');
  const bootstrap = boot ? splitList(Array.isArray(boot.value) ? boot.value : [String(boot.value)]).map((b) => checkHostPort(b, boot.where)) : [];
  const mine = pick('mine', '--mine');
  const ma = pick('minerAddress', '--miner-address');
  if (ma) {
    try {
      parseAddress(String(ma.value));
    } catch (e) {
      throw new CliError(`${ma.where}: ${isCodedError(e) ? e.message : String(e)}`);
    }
  }
  const mw = pick('minerWallet', '--miner-wallet');
  const wd = pick('walletDir', '--wallet-dir');
  const threads = pick('threads', '--threads');
  const mi = pick('minerImpl', '--miner-impl');
  const minerImpl = mi ? String(mi.value).trim().toLowerCase() : undefined;
  if (mi && !MINER_IMPLS.includes(minerImpl as MinerImpl)) throw new CliError(`${mi.where}: expected one of ${MINER_IMPLS.join(', ')}, got ${JSON.stringify(mi.value)}`);
  const metrics = pick('metrics', '--metrics');
  const ll = pick('logLevel', '--log-level');
  const logLevel = ll ? String(ll.value).toLowerCase() : DEFAULTS.logLevel;
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) throw new CliError(`${ll!.where}: expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(ll!.value)}`);

  return {
    dataDir,
    genesisPath: gp ? pathOf(gp) : undefined,
    host: host ? String(host.value) : DEFAULTS.host,
    port: port ? intIn(port.value as string | number, 0, 65535, port.where) : DEFAULTS.port,
    apiHost: apiHost ? String(apiHost.value) : DEFAULTS.apiHost,
    apiPort: apiPort ? intIn(apiPort.value as string | number, 0, 65535, apiPort.where) : DEFAULTS.apiPort,
    apiAllowHosts,
    bootstrap,
    mine: mine ? (typeof mine.value === 'boolean' ? mine.value : parseBool(String(mine.value), mine.where)) : false,
    minerAddress: ma ? String(ma.value) : undefined,
    minerWallet: mw ? String(mw.value) : DEFAULTS.minerWallet,
    walletDir: wd ? pathOf(wd) : join(dataDir, 'wallets'),
    threads: threads ? intIn(threads.value as string | number, 1, 256, threads.where) : undefined,
    minerImpl: minerImpl as MinerImpl | undefined,
    metrics: metrics ? (typeof metrics.value === 'boolean' ? metrics.value : parseBool(String(metrics.value), metrics.where)) : false,
    logLevel: logLevel as LogLevel,
    configPath,
    sources,
  };
}
