// `kadchain wallet create | list | show`: encrypted key files in the wallet directory. A new wallet
// records the network it is for (--genesis FILE, --network NAME, KADCHAIN_GENESIS, or this
// package's genesis.json), which `send` then holds every node to.
import { Keystore, type WalletInfo } from '../keystore.js';
import { readPassword } from '../prompt.js';
import { resolveWalletDir } from '../config.js';
import { networkForNewWallet, type NetworkFlags } from '../network.js';
import { CliError } from '../errors.js';
import { clean, json, keyValues, table } from '../format.js';

export interface WalletDirOptions {
  walletDir?: string;
  dataDir?: string;
  json?: boolean;
}

const print = (text: string): void => void process.stdout.write(text + '\n');

export function protectionText(w: Pick<WalletInfo, 'protected'>): string {
  return w.protected ? 'yes: password-protected (scrypt + AES-256-GCM)' : 'NOT protected: empty password (anyone who can read the file can spend)';
}

function describe(w: WalletInfo): string {
  return keyValues([
    ['name', w.name],
    ['address', w.address],
    ['public key', w.publicKey],
    ['network', w.network ? `${w.network.name} (genesis ${w.network.genesis})` : 'not recorded (older wallet: send needs --genesis or --network)'],
    ['protected', protectionText(w)],
    ['created', w.createdAt],
    ['file', w.path],
  ]);
}

export async function walletCreateCommand(o: WalletDirOptions & NetworkFlags & { name: string; passwordFile?: string }): Promise<void> {
  const store = new Keystore(resolveWalletDir(o));
  if (store.exists(o.name)) throw new CliError(`a wallet named "${o.name}" already exists in ${store.dir}`);
  const network = networkForNewWallet(o);
  const password = await readPassword(`Password for new wallet "${o.name}": `, { confirm: true, passwordFile: o.passwordFile });
  if (password === '') throw new CliError('refusing an empty password for a new wallet');
  const w = store.create(o.name, password, { network });
  print(o.json ? json(w) : `created wallet "${w.name}"\n${describe(w)}`);
}

export async function walletListCommand(o: WalletDirOptions): Promise<void> {
  const store = new Keystore(resolveWalletDir(o));
  const { wallets: list, problems } = store.listChecked();
  for (const p of problems) process.stderr.write(clean(p) + '\n');
  if (o.json) return print(json(list));
  if (!list.length) return print(`no wallets in ${store.dir} (create one with: kadchain wallet create --name NAME)`);
  print(table(['NAME', 'ADDRESS', 'NETWORK', 'PROTECTED', 'CREATED'], list.map((w) => [w.name, w.address, w.network?.name ?? '-', w.protected ? 'yes' : 'NO', w.createdAt])));
}

export async function walletShowCommand(o: WalletDirOptions & { name: string }): Promise<void> {
  const store = new Keystore(resolveWalletDir(o));
  const { warning } = store.readChecked(o.name);
  if (warning) process.stderr.write(clean(warning) + '\n');
  const w = store.show(o.name);
  print(o.json ? json(w) : describe(w));
}
