// `kadchain node`: resolve settings (flag > env > config file > default), make sure a miner has an
// address (creating the "miner" wallet on first start), start the node and stop it cleanly on
// SIGINT/SIGTERM. The node module is loaded lazily so the other commands start fast.
import { createLogger, type Logger } from '../../log/index.js';
import { resolveNodeConfig, type NodeConfig, type NodeFlags } from '../config.js';
import { Keystore } from '../keystore.js';
import { PASSWORD_ENV, passwordAvailable, readPassword } from '../prompt.js';
import { networkFromGenesisFile, packageGenesisPath } from '../network.js';
import { CliError } from '../errors.js';

/** Time allowed for a clean stop; the process exits 0 by then even if a service hangs. */
export const STOP_GRACE_MS = 4500;

/**
 * The reward address: --miner-address, else the miner wallet's address (no password needed),
 * else a new miner wallet for the node's network. Its password comes from --password-file,
 * KADCHAIN_PASSWORD or a terminal prompt; an empty one only with --allow-empty-password, so an
 * unattended first start never makes an unprotected wallet by accident.
 */
export async function ensureMinerAddress(cfg: NodeConfig, log: Logger, opts: { passwordFile?: string; allowEmptyPassword?: boolean } = {}): Promise<string | undefined> {
  if (!cfg.mine) return cfg.minerAddress;
  if (cfg.minerAddress) return cfg.minerAddress;
  const store = new Keystore(cfg.walletDir);
  if (store.exists(cfg.minerWallet)) {
    const w = store.show(cfg.minerWallet);
    log.info('mining to wallet', { wallet: w.name, address: w.address, file: w.path, protected: w.protected });
    if (!w.protected) log.warn(`mining wallet "${w.name}" is NOT protected by a password`, { file: w.path });
    return w.address;
  }
  const network = networkFromGenesisFile(cfg.genesisPath ?? packageGenesisPath());
  let password = '';
  if (passwordAvailable({ passwordFile: opts.passwordFile })) {
    password = await readPassword(`Password for the new mining wallet "${cfg.minerWallet}": `, { confirm: true, passwordFile: opts.passwordFile });
  }
  if (password === '' && !opts.allowEmptyPassword) {
    throw new CliError(
      `mining needs a reward address: the new mining wallet "${cfg.minerWallet}" needs a password (--password-file FILE, ${PASSWORD_ENV}, or run in a terminal), ` +
        'or pass --allow-empty-password to create it unprotected, or --miner-address ADDR',
    );
  }
  const w = store.create(cfg.minerWallet, password, { network });
  log.info('created mining wallet', { wallet: w.name, address: w.address, file: w.path, network: network.name });
  if (!w.protected) log.warn(`mining wallet "${w.name}" is NOT protected by a password (--allow-empty-password)`, { file: w.path });
  return w.address;
}

/** `kadchain node --check`: the whole store, every block; exit 0 when whole, 1 when damaged. */
async function checkCommand(dataDir: string, genesisPath: string | undefined): Promise<number> {
  const { checkStore } = await import('../../node/index.js');
  let r;
  try {
    r = await checkStore(dataDir, genesisPath);
  } catch (e) {
    process.stdout.write(`damaged: ${(e as Error).message}\n`);
    return 1;
  }
  if (!r.damage) {
    process.stdout.write(`ok: ${dataDir} is whole: ${r.checked} main-chain blocks checked, tip height ${r.tipHeight}\n`);
    return 0;
  }
  process.stdout.write(`damaged: ${r.damage.what} (first damaged height ${r.damage.height}) in ${dataDir}\n`);
  process.stdout.write(`recovery: kadchain node --reindex --data-dir ${dataDir} (keeps heights below ${r.damage.height}; peers send the rest)\n`);
  return 1;
}

export async function nodeCommand(flags: NodeFlags): Promise<number> {
  const cfg = resolveNodeConfig(flags);
  const log = createLogger({ level: cfg.logLevel });
  const { startNode, loadGenesis, defaultGenesisPath } = await import('../../node/index.js');
  // A bad genesis is refused before anything is written (the mining wallet lives in the data dir).
  try {
    loadGenesis(cfg.genesisPath ?? defaultGenesisPath());
  } catch (e) {
    throw new CliError(`cannot start the node: ${(e as Error).message}`);
  }
  if (flags.check) return checkCommand(cfg.dataDir, cfg.genesisPath);
  if (flags.reindex) {
    const { reindexStore } = await import('../../node/index.js');
    try {
      const r = await reindexStore(cfg.dataDir, log, cfg.genesisPath);
      process.stdout.write(`reindexed ${cfg.dataDir}: tip height ${r.height} ${r.tip}` + (r.genesisRecordRewritten ? '; damaged genesis record rewritten' : '') + (r.forgotten ? `; ${r.forgotten} damaged or later blocks forgotten (${r.stoppedAt}), peers will send them again` : '') + '\n');
    } catch (e) {
      throw new CliError(`cannot reindex: ${(e as Error).message}`);
    }
  }
  const minerAddress = await ensureMinerAddress(cfg, log, { passwordFile: flags.passwordFile, allowEmptyPassword: flags.allowEmptyPassword });
  let running: Awaited<ReturnType<typeof startNode>>;
  try {
    running = await startNode({
      dataDir: cfg.dataDir,
      genesisPath: cfg.genesisPath,
      host: cfg.host,
      port: cfg.port,
      apiHost: cfg.apiHost,
      apiPort: cfg.apiPort,
      apiAllowHosts: cfg.apiAllowHosts,
      bootstrap: cfg.bootstrap,
      mine: cfg.mine,
      minerAddress,
      threads: cfg.threads,
      minerImpl: cfg.minerImpl,
      metrics: cfg.metrics,
      logLevel: cfg.logLevel,
      logger: log,
    });
  } catch (e) {
    const reason = (e as { reason?: unknown }).reason;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new CliError(`cannot start the node: address in use (${(e as Error).message}); pick another --port / --api-port`);
    if (typeof reason === 'string' || code) throw new CliError(`cannot start the node: ${(e as Error).message}`);
    throw e;
  }
  log.info(`explorer and API at ${running.apiUrl}/`);

  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log.warn('second signal: exiting without waiting', { signal });
        resolve(1);
        return;
      }
      stopping = true;
      log.info('stopping', { signal });
      const watchdog = setTimeout(() => {
        log.error(`stop did not finish within ${STOP_GRACE_MS} ms; exiting anyway`);
        resolve(0);
      }, STOP_GRACE_MS);
      running.stop().then(
        () => {
          clearTimeout(watchdog);
          resolve(0);
        },
        (e: unknown) => {
          clearTimeout(watchdog);
          log.error('stop failed', { err: String(e) });
          resolve(1);
        },
      );
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
