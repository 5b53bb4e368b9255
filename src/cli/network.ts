// Which network a wallet signs for. A wallet records the network (name and genesis id) it was made
// for; `--genesis FILE`, KADCHAIN_GENESIS or `--network NAME` (a network built into this package)
// name one explicitly. The node at --node never decides: `send` compares what the node says with
// what the wallet or the user named, and refuses a mismatch (see send.ts).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { genesisFromJson, isCodedError } from '../core/index.js';
import type { WalletNetwork } from './keystore.js';
import { ENV, expandPath } from './config.js';
import { CliError } from './errors.js';

/** genesis.json at the package root (three levels above dist/src/cli/network.js). */
export function packageGenesisPath(): string {
  return fileURLToPath(new URL('../../../genesis.json', import.meta.url));
}

export function networkFromGenesisFile(path: string): WalletNetwork {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(`cannot read genesis file ${path}: ${(e as Error).message}`);
  }
  try {
    const g = genesisFromJson(json, path);
    return { name: g.params.network, genesis: g.idHex };
  } catch (e) {
    throw new CliError(isCodedError(e) ? e.message : `${path}: ${String(e)}`);
  }
}

/** Networks this package knows by name (its own genesis.json). */
export function builtinNetworks(): WalletNetwork[] {
  return [networkFromGenesisFile(packageGenesisPath())];
}

export interface NetworkFlags {
  genesis?: string;
  network?: string;
}

export interface NamedNetwork extends WalletNetwork {
  /** Where the choice came from, for messages: "--genesis x.json", "KADCHAIN_GENESIS", "--network". */
  source: string;
}

/** The network the user named (--genesis > --network > KADCHAIN_GENESIS), if any. */
export function namedNetwork(flags: NetworkFlags, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): NamedNetwork | undefined {
  let fromFile: NamedNetwork | undefined;
  if (flags.genesis !== undefined) fromFile = { ...networkFromGenesisFile(expandPath(flags.genesis, cwd)), source: `--genesis ${flags.genesis}` };
  if (flags.network !== undefined) {
    const known = builtinNetworks();
    const n = known.find((k) => k.name === flags.network);
    if (!n) throw new CliError(`--network: unknown network ${JSON.stringify(flags.network)} (built in: ${known.map((k) => k.name).join(', ')}); for another network pass --genesis FILE`);
    if (fromFile && fromFile.genesis !== n.genesis) throw new CliError(`--network ${n.name} (genesis ${n.genesis}) and ${fromFile.source} (${fromFile.name}, genesis ${fromFile.genesis}) name different networks`);
    return fromFile ?? { ...n, source: `--network ${n.name}` };
  }
  if (fromFile) return fromFile;
  const e = env[ENV.genesis];
  if (e) return { ...networkFromGenesisFile(expandPath(e, cwd)), source: ENV.genesis };
  return undefined;
}

/** The network a new wallet records: the one named, else this package's genesis.json. */
export function networkForNewWallet(flags: NetworkFlags, env: NodeJS.ProcessEnv = process.env): WalletNetwork {
  const n = namedNetwork(flags, env) ?? networkFromGenesisFile(packageGenesisPath());
  return { name: n.name, genesis: n.genesis };
}
