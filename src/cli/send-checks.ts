// What `send` checks before it signs, as pure functions over the node's answers and the user's
// flags: the node's network against the wallet's (or the one the user named), the nonce the node
// proposes, and the fee policy. Everything from the node is treated as hostile input: its shape is
// checked here, and a refusal says what was wrong with both sides' values.
import { U64_MAX, formatCoins } from '../core/index.js';
import type { WalletNetwork } from './keystore.js';
import type { NamedNetwork } from './network.js';
import { CliError } from './errors.js';
import { clean } from './format.js';

/** bitcoin-cli's maxtxfee in spirit: a fee above this is refused unless --max-fee raises it. */
export const DEFAULT_MAX_FEE = '0.1';
/**
 * How far past the confirmed nonce the node may place us. The mempool holds at most 16 pending
 * transactions per sender; a nonce far beyond is a node preparing a transaction that becomes valid
 * (and spendable by whoever holds it) only much later.
 */
export const MAX_NONCE_AHEAD = 64n;

const GENESIS_RE = /^[0-9a-f]{64}$/;
const NAME_RE = /^[\x21-\x7e]{1,64}$/;
const DECIMAL_RE = /^(0|[1-9][0-9]*)$/;

const show = (v: unknown): string => clean(JSON.stringify(v) ?? String(v)).slice(0, 80);

/** The node's network from /api/status, shape-checked. */
export function nodeNetwork(status: unknown, url: string): WalletNetwork {
  const s = (typeof status === 'object' && status !== null ? status : {}) as Record<string, unknown>;
  if (typeof s.genesis !== 'string' || !GENESIS_RE.test(s.genesis)) throw new CliError(`the node at ${url} sent a malformed genesis id ${show(s.genesis)}; refusing to sign`);
  if (typeof s.network !== 'string' || !NAME_RE.test(s.network)) throw new CliError(`the node at ${url} sent a malformed network name ${show(s.network)}; refusing to sign`);
  return { name: s.network, genesis: s.genesis };
}

const same = (a: WalletNetwork, b: WalletNetwork): boolean => a.genesis === b.genesis && a.name === b.name;
const describe = (n: WalletNetwork): string => `${n.name} (genesis ${n.genesis})`;

/**
 * The network to sign for: the one the user named, else the wallet's. The node must follow exactly
 * that network. A wallet from before wallets recorded their network needs it named.
 */
export function checkNetwork(o: { wallet: string; recorded?: WalletNetwork; named?: NamedNetwork; node: WalletNetwork; url: string; yes: boolean }): WalletNetwork {
  const { recorded, named, node } = o;
  if (!recorded && !named) {
    throw new CliError(
      `wallet "${o.wallet}" records no network (it was made by an older kadchain); name the network to sign for with --genesis FILE or --network NAME ` +
        `(the node at ${o.url} says it follows ${describe(node)})`,
    );
  }
  if (recorded && named && !same(recorded, named) && !o.yes) {
    throw new CliError(`wallet "${o.wallet}" was made for ${describe(recorded)}, but ${named.source} names ${describe(named)}; pass --yes to sign for ${named.name} anyway`);
  }
  const expected = named ?? recorded!;
  if (!same(expected, node)) {
    throw new CliError(
      `network mismatch: the node at ${o.url} follows ${describe(node)}, but ${named ? named.source : `wallet "${o.wallet}"`} is for ${describe(expected)}; refusing to sign`,
    );
  }
  return expected;
}

/** A u64 nonce from the node: a decimal string (or a safe JSON integer), nothing else. */
function parseNonce(v: unknown, what: string, url: string): bigint {
  const text = typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : v;
  if (typeof text !== 'string' || !DECIMAL_RE.test(text) || text.length > 20) throw new CliError(`the node at ${url} sent a malformed ${what} ${show(v)} (expected a decimal integer); refusing to sign`);
  const n = BigInt(text);
  if (n > U64_MAX) throw new CliError(`the node at ${url} sent ${what} ${text}, above 2^64-1; refusing to sign`);
  return n;
}

/** The nonce to sign: the node's pendingNonce, checked against its confirmed nonce and u64. */
export function checkNonce(account: unknown, address: string, url: string): bigint {
  const a = (typeof account === 'object' && account !== null ? account : {}) as Record<string, unknown>;
  if (a.address !== undefined && a.address !== address) throw new CliError(`the node at ${url} answered for address ${show(a.address)} instead of ${address}; refusing to sign`);
  const confirmed = parseNonce(a.nonce, 'nonce', url);
  const pending = parseNonce(a.pendingNonce, 'pending nonce', url);
  if (pending < confirmed) throw new CliError(`the node at ${url} sent pending nonce ${pending} below the confirmed nonce ${confirmed}; refusing to sign`);
  if (pending - confirmed > MAX_NONCE_AHEAD) {
    throw new CliError(`the node at ${url} sent pending nonce ${pending}, ${pending - confirmed} past the confirmed nonce ${confirmed} (at most ${MAX_NONCE_AHEAD}); refusing to sign`);
  }
  return pending;
}

/** Fee policy: never above --max-fee; above the amount only with --yes. */
export function checkFee(o: { amount: bigint; fee: bigint; maxFee: bigint; yes: boolean }): void {
  if (o.fee > o.maxFee) throw new CliError(`fee ${formatCoins(o.fee)} coins is above --max-fee ${formatCoins(o.maxFee)}; raise --max-fee if you mean it`);
  if (o.fee > o.amount && !o.yes) throw new CliError(`fee ${formatCoins(o.fee)} coins is more than the amount ${formatCoins(o.amount)}; pass --yes if you mean it`);
}
