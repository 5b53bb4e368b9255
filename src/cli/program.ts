// The `kadchain` commander program: every command of DESIGN.md's "Command line" with its flags and
// help. Commands return an exit code or throw; `run` maps errors to one stderr line and a non-zero
// code (unreachable node: "cannot reach node at URL", exit 1) and never prints a stack for them.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { isCodedError } from '../core/index.js';
import { ApiError, NodeUnreachableError } from '../api/client.js';
import { CliError } from './errors.js';
import { DEFAULTS, ENV, resolveNodeUrl } from './config.js';
import { clean } from './format.js';
import { takePasswordFromEnv } from './prompt.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

function nodeUrlOption(): Option {
  return new Option('--node <url>', `node API URL (env ${ENV.node}; default ${DEFAULTS.nodeUrl})`);
}

function walletDirOptions(cmd: Command): Command {
  return cmd
    .option('--wallet-dir <dir>', `wallet directory (env ${ENV.walletDir}; default <data dir>/wallets)`)
    .option('--data-dir <dir>', `data directory whose wallets/ to use (env ${ENV.dataDir}; default ~/.kadchain)`);
}

/** Where commands that decide their own exit code (node, devnet) leave it. */
export interface RunState {
  exitCode: number;
}

export function buildProgram(state: RunState = { exitCode: 0 }): Command {
  const setExit = (code: number): void => {
    state.exitCode = code;
  };
  const program = new Command('kadchain')
    .description('kadchain: a small proof-of-work ledger (Kademlia discovery, WebSocket gossip, LevelDB)')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: false })
    .exitOverride();

  program
    .command('node')
    .description('run a node: chain, mempool, P2P, Kademlia, HTTP API and explorer (optionally a miner)')
    .option('--data-dir <dir>', `data directory (env ${ENV.dataDir}; default ~/.kadchain)`)
    .option('--genesis <file>', `genesis file (env ${ENV.genesis}; default genesis.json of this package)`)
    .option('--host <host>', `P2P listen address, WebSocket and UDP (env ${ENV.host}; default ${DEFAULTS.host})`)
    .option('--port <port>', `P2P port, WebSocket and UDP (env ${ENV.port}; default ${DEFAULTS.port})`)
    .option('--api-host <host>', `HTTP API address (env ${ENV.apiHost}; default ${DEFAULTS.apiHost}); the API has no authentication, so a non-loopback address is logged as a warning`)
    .option('--api-port <port>', `HTTP API and explorer port (env ${ENV.apiPort}; default ${DEFAULTS.apiPort})`)
    .option('--api-allow-host <name...>', `host name the API answers besides loopback and its own address, repeatable or comma-separated; "*" allows any (env ${ENV.apiAllowHost})`, collect)
    .option('--bootstrap <host:port...>', `peers to bootstrap from, repeatable or comma-separated (env ${ENV.bootstrap})`, collect)
    .option('--mine', `mine blocks (env ${ENV.mine}=1)`)
    .option('--no-mine', 'do not mine, even if the environment or config says so')
    .option('--miner-address <addr>', `reward address (env ${ENV.minerAddress}; default: the "miner" wallet, created on first start)`)
    .option('--miner-wallet <name>', `wallet for mining rewards when no --miner-address (env ${ENV.minerWallet}; default ${DEFAULTS.minerWallet})`)
    .option('--wallet-dir <dir>', `wallet directory (env ${ENV.walletDir}; default <data dir>/wallets)`)
    .option('--threads <n>', `mining threads (env ${ENV.threads}; default: cores - 1, at least 1)`)
    .option('--miner-impl <impl>', `mining hot loop: wasm (SIMD, falls back to JS if it cannot load) or js (env ${ENV.minerImpl}; default wasm)`)
    .option('--metrics', `serve Prometheus metrics at the API's /metrics (env ${ENV.metrics}=1)`)
    .option('--log-level <level>', `trace, debug, info, warn, error or silent (env ${ENV.logLevel}; default ${DEFAULTS.logLevel})`)
    .option('--config <file>', `JSON config file with the same settings in camelCase (env ${ENV.config}); flags > env > file`)
    .option('--password-file <file>', 'password for a new mining wallet: first line of FILE ("-": standard input)')
    .option('--allow-empty-password', 'let an unattended first start create the mining wallet without a password')
    .option('--check', 'verify the whole store (every main-chain block, index entry, undo record, account) and exit: 0 whole, 1 damaged')
    .option('--reindex', 'rebuild index and state from the stored blocks before starting (damaged blocks and those above are fetched again)')
    .addHelpText('after', '\nStops cleanly on Ctrl-C (SIGINT) or SIGTERM. A new mining wallet needs a password: --password-file,\nKADCHAIN_PASSWORD or a prompt; or --allow-empty-password, or --miner-address.')
    .action(async (opts) => setExit(await (await import('./commands/node.js')).nodeCommand(opts)));

  const wallet = program.command('wallet').description('manage encrypted wallets (scrypt + AES-256-GCM, files mode 0600)');
  walletDirOptions(
    wallet
      .command('create')
      .description('create a wallet with a new random key for one network; password from --password-file, KADCHAIN_PASSWORD or a prompt')
      .option('--name <name>', 'wallet name', 'default')
      .option('--genesis <file>', `network the wallet is for, by its genesis file (env ${ENV.genesis}; default genesis.json of this package)`)
      .option('--network <name>', 'network the wallet is for, by name (a network built into this package)')
      .option('--password-file <file>', 'read the password from the first line of FILE ("-": standard input)')
      .option('--json', 'machine-readable output'),
  ).action(async (opts) => (await import('./commands/wallet.js')).walletCreateCommand(opts));
  walletDirOptions(wallet.command('list').description('list wallets and their addresses').option('--json', 'machine-readable output')).action(async (opts) =>
    (await import('./commands/wallet.js')).walletListCommand(opts),
  );
  walletDirOptions(
    wallet.command('show').description("show a wallet's address and public key (no password needed)").option('--name <name>', 'wallet name', 'default').option('--json', 'machine-readable output'),
  ).action(async (opts) => (await import('./commands/wallet.js')).walletShowCommand(opts));

  walletDirOptions(
    program
      .command('send')
      .description("sign a transfer with a wallet and submit it to a node (checked against the wallet's network; confirmed on a terminal)")
      .requiredOption('--to <addr>', 'recipient address (kc1...)')
      .requiredOption('--amount <coins>', 'amount in coins, e.g. 1.5')
      .option('--fee <coins>', 'fee in coins', '0.0001')
      .option('--max-fee <coins>', 'refuse a fee above this', '0.1')
      .option('--yes', 'do not ask for confirmation; allow a fee above the amount')
      .option('--wallet <name>', 'wallet to pay from', 'default')
      .option('--genesis <file>', `sign for the network of this genesis file (env ${ENV.genesis}; default: the wallet's network)`)
      .option('--network <name>', "sign for this built-in network (default: the wallet's network)")
      .option('--password-file <file>', 'read the wallet password from the first line of FILE ("-": standard input)')
      .addOption(nodeUrlOption())
      .option('--wait', 'wait until the transaction is in a block')
      .option('--timeout <seconds>', 'with --wait: give up after this long', '600')
      .option('--json', 'machine-readable output'),
  ).action(async (opts) => (await import('./commands/send.js')).sendCommand({ ...opts, node: resolveNodeUrl(opts.node) }));

  const query = (name: string, args: string, description: string): Command =>
    program.command(args ? `${name} ${args}` : name).description(description).addOption(nodeUrlOption()).option('--json', 'machine-readable output (amounts in base units)');
  query('status', '', "the node's chain tip, difficulty, peers, mempool and miner").action(async (opts) =>
    (await import('./commands/query.js')).statusCommand({ ...opts, node: resolveNodeUrl(opts.node) }),
  );
  query('block', '<id|height>', 'a block by id or main-chain height, with its transactions').action(async (ref: string, opts) =>
    (await import('./commands/query.js')).blockCommand(ref, { ...opts, node: resolveNodeUrl(opts.node) }),
  );
  query('tx', '<id>', 'a transaction: pending or confirmed, and where').action(async (id: string, opts) =>
    (await import('./commands/query.js')).txCommand(id, { ...opts, node: resolveNodeUrl(opts.node) }),
  );
  query('balance', '<addr>', "an address's balance and nonces").action(async (addr: string, opts) =>
    (await import('./commands/query.js')).balanceCommand(addr, { ...opts, node: resolveNodeUrl(opts.node) }),
  );
  query('peers', '', 'connected peers and the Kademlia routing table').action(async (opts) =>
    (await import('./commands/query.js')).peersCommand({ ...opts, node: resolveNodeUrl(opts.node) }),
  );

  program
    .command('devnet')
    .description('run a local network of nodes on 127.0.0.1 (first node is the seed); Ctrl-C stops all')
    .option('--nodes <n>', 'number of nodes', '5')
    .option('--mine <n>', 'how many of the first nodes mine', '1')
    .option('--base-port <port>', 'P2P port of node 0 (node i uses base + i)', String(DEFAULTS.port))
    .option('--api-base-port <port>', 'API port of node 0 (node i uses base + i)', String(DEFAULTS.apiPort))
    .option('--dir <dir>', 'devnet directory, one data dir per node (default ~/.kadchain/devnet)')
    .option('--fresh', "delete the devnet's node data first (a new chain); only in a directory the devnet made")
    .option('--genesis <file>', 'genesis file for every node (default genesis.json of this package)')
    .option('--threads <n>', 'mining threads per mining node', '1')
    .option('--log-level <level>', "nodes' log level (logs go to <dir>/node<N>/node.log)", 'info')
    .option('--password-file <file>', "password for the mining nodes' new wallets: first line of FILE")
    .option('--allow-empty-password', 'create the mining wallets without a password, without asking')
    .action(async (opts) => setExit(await (await import('./commands/devnet.js')).devnetCommand(opts)));

  // Subcommands report usage errors like the program does.
  for (const c of [...program.commands, ...wallet.commands]) c.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function run(argv: string[]): Promise<number> {
  takePasswordFromEnv();
  const state: RunState = { exitCode: 0 };
  const program = buildProgram(state);
  try {
    await program.parseAsync(argv);
    return state.exitCode;
  } catch (e) {
    return report(e);
  }
}

export function report(e: unknown): number {
  if (e instanceof CommanderError) {
    // Help and version are successful exits; usage errors were already printed by commander.
    return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : e.exitCode || 1;
  }
  // Messages may carry a node's text (its error bodies): one line, no control characters.
  const say = (line: string): void => void process.stderr.write(`error: ${clean(line)}\n`);
  if (e instanceof NodeUnreachableError) {
    say(`${e.message} (${e.detail})`);
    return 1;
  }
  if (e instanceof ApiError) {
    say(`${e.message}${e.reason && !e.message.includes(e.reason) ? ` [${e.reason}]` : ''}`);
    return 1;
  }
  if (e instanceof CliError) {
    say(e.message);
    return e.exitCode;
  }
  if (isCodedError(e)) {
    say(e.message);
    return 1;
  }
  const err = e as Error;
  say(err?.message ?? String(e));
  if (process.env.KADCHAIN_DEBUG) process.stderr.write(`${err?.stack ?? ''}\n`);
  return 1;
}
