// `kadchain node`: resolve settings (flag > env > config file > default), make sure a miner has an
// address (creating the "miner" wallet on first start), start the node and stop it cleanly on
// SIGINT/SIGTERM. The node module is loaded lazily so the other commands start fast.
import { createLogger, type Logger } from '../../log/index.js';
import { resolveNodeConfig, type NodeConfig, type NodeFlags } from '../config.js';
import { Keystore } from '../keystore.js';
import { PASSWORD_ENV, readPassword } from '../prompt.js';
import { CliError } from '../errors.js';

/** Time allowed for a clean stop; the process exits 0 by then even if a service hangs. */
export const STOP_GRACE_MS = 4500;

/**
 * The reward address: --miner-address, else the miner wallet's address (no password needed),
 * else a new miner wallet. Its password comes from KADCHAIN_PASSWORD or a terminal prompt; an
 * unattended first start with neither gets a wallet with an empty password and a warning.
 */
export async function ensureMinerAddress(cfg: NodeConfig, log: Logger): Promise<string | undefined> {
  if (!cfg.mine) return cfg.minerAddress;
  if (cfg.minerAddress) return cfg.minerAddress;
  const store = new Keystore(cfg.walletDir);
  if (store.exists(cfg.minerWallet)) {
    const w = store.show(cfg.minerWallet);
    log.info('mining to wallet', { wallet: w.name, address: w.address, file: w.path });
    return w.address;
  }
  let password = '';
  if (process.env[PASSWORD_ENV] !== undefined || process.stdin.isTTY) {
    password = await readPassword(`Password for the new mining wallet "${cfg.minerWallet}": `, { confirm: true });
  }
  const w = store.create(cfg.minerWallet, password);
  log.info('created mining wallet', { wallet: w.name, address: w.address, file: w.path });
  if (!w.protected) log.warn(`mining wallet "${w.name}" has an empty password: set ${PASSWORD_ENV} before the first start to choose one`, { file: w.path });
  return w.address;
}

export async function nodeCommand(flags: NodeFlags): Promise<number> {
  const cfg = resolveNodeConfig(flags);
  const log = createLogger({ level: cfg.logLevel });
  const minerAddress = await ensureMinerAddress(cfg, log);
  const { startNode } = await import('../../node/index.js');
  let running: Awaited<ReturnType<typeof startNode>>;
  try {
    running = await startNode({
      dataDir: cfg.dataDir,
      genesisPath: cfg.genesisPath,
      host: cfg.host,
      port: cfg.port,
      apiHost: cfg.apiHost,
      apiPort: cfg.apiPort,
      bootstrap: cfg.bootstrap,
      mine: cfg.mine,
      minerAddress,
      threads: cfg.threads,
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
