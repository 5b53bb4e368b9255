// `kadchain send`: build a transfer, check it against what the wallet knows, show it, sign it with
// the wallet key, submit it, optionally wait for a block. The node at --node is not trusted: its
// network must be the wallet's (or the one named with --genesis/--network), its nonce must be a
// sane u64 at or after the confirmed one (send-checks.ts), and fees are capped (--max-fee). On a
// terminal the transfer is shown and confirmed before the password is asked; --yes skips that.
import { parseAddress, parseCoins, signTransfer, txToJson, txIdHex, isCodedError, type TransferTx, type TransferTxJson } from '../../core/index.js';
import { fromHex } from '../../crypto/index.js';
import { ApiClient, ApiError } from '../../api/client.js';
import { Keystore } from '../keystore.js';
import { confirm, readPassword } from '../prompt.js';
import { resolveWalletDir } from '../config.js';
import { namedNetwork } from '../network.js';
import { checkFee, checkNetwork, checkNonce, nodeNetwork, DEFAULT_MAX_FEE } from '../send-checks.js';
import { CliError } from '../errors.js';
import { checkTxLookup } from '../answers.js';
import { clean, coins, json, keyValues } from '../format.js';

export interface SendOptions {
  to: string;
  amount: string;
  fee: string;
  maxFee?: string;
  yes?: boolean;
  wallet: string;
  walletDir?: string;
  dataDir?: string;
  genesis?: string;
  network?: string;
  passwordFile?: string;
  node: string;
  wait?: boolean;
  timeout: string;
  json?: boolean;
}

function coded<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new CliError(`${what}: ${isCodedError(e) ? e.message : String(e)}`);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function sendCommand(o: SendOptions): Promise<void> {
  const to = coded('--to', () => parseAddress(o.to.trim()));
  const amount = coded('--amount', () => parseCoins(o.amount));
  const fee = coded('--fee', () => parseCoins(o.fee));
  const maxFee = coded('--max-fee', () => parseCoins(o.maxFee ?? DEFAULT_MAX_FEE));
  if (amount === 0n) throw new CliError('--amount: expected more than 0');
  checkFee({ amount, fee, maxFee, yes: !!o.yes });
  const timeoutS = Number(o.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new CliError(`--timeout: expected a number of seconds, got ${JSON.stringify(o.timeout)}`);

  // Fail on a missing wallet, an unknown network or an unreachable node before asking for a password.
  const store = new Keystore(resolveWalletDir(o));
  const { wallet, warning: looseFile } = store.readChecked(o.wallet);
  const named = namedNetwork(o);
  const client = new ApiClient(o.node);
  const network = checkNetwork({ wallet: wallet.name, recorded: wallet.network, named, node: nodeNetwork(await client.status(), client.baseUrl), url: client.baseUrl, yes: !!o.yes });
  const nonce = checkNonce(await client.account(wallet.address), wallet.address, client.baseUrl);

  const summary = keyValues([
    ['network', `${network.name} (genesis ${network.genesis})`],
    ['from', `${wallet.address} (wallet "${wallet.name}")`],
    ['to', o.to.trim()],
    ['amount', `${coins(amount)} coins`],
    ['fee', `${coins(fee)} coins`],
    ['nonce', nonce.toString()],
    ['node', client.baseUrl],
  ]);
  process.stderr.write(summary + '\n');
  if (looseFile) process.stderr.write(clean(looseFile) + '\n');
  if (!wallet.protected) process.stderr.write(`warning: wallet "${wallet.name}" is NOT protected by a password\n`);
  if (!o.yes && process.stdin.isTTY && !(await confirm('Sign and send this transfer? [y/N] '))) throw new CliError('cancelled: nothing was signed', 1);

  const password = wallet.protected ? await readPassword(`Password for wallet "${wallet.name}": `, { passwordFile: o.passwordFile }) : '';
  const key = store.unlock(o.wallet, password);
  let signed: TransferTx;
  try {
    signed = signTransfer({ chainId: fromHex(network.genesis, 32), from: key.publicKey, to, amount, fee, nonce }, key.secretKey);
  } catch (e) {
    throw new CliError(`cannot sign: ${isCodedError(e) ? e.message : String(e)}`);
  } finally {
    key.secretKey.fill(0);
  }
  const body = txToJson(signed) as TransferTxJson;
  // The id is ours to know: a node answering with another one would have us report (and with
  // --wait, watch) a transaction that is not the one we signed.
  const id = txIdHex(signed);
  const answer = (await client.submitTx(body)).id;
  if (answer !== id) {
    const shown = typeof answer === 'string' && /^[0-9a-f]{64}$/.test(answer) ? answer : `a malformed id ${clean(JSON.stringify(answer) ?? 'undefined').slice(0, 80)}`;
    throw new CliError(`the node at ${client.baseUrl} accepted the transfer but answered with id ${shown}, not the signed transaction's id ${id}; not trusting its answers about it`);
  }
  if (o.json && !o.wait) {
    process.stdout.write(json({ id, tx: body }) + '\n');
    return;
  }
  if (!o.json) process.stdout.write(id + '\n');
  if (!o.wait) {
    process.stderr.write(`sent ${coins(amount)} coins to ${o.to.trim()} (fee ${coins(fee)}, nonce ${nonce}); waiting in the mempool\n`);
    return;
  }

  process.stderr.write(`sent; waiting for a block (up to ${timeoutS} s)...\n`);
  const deadline = performance.now() + timeoutS * 1000; // monotonic: a clock step neither ends nor stretches the wait
  let missing = 0;
  while (performance.now() < deadline) {
    try {
      const r = checkTxLookup(await client.tx(id), id, client.baseUrl);
      missing = 0;
      if (r.status === 'confirmed') {
        if (o.json) process.stdout.write(json({ id, tx: body, status: r.status, block: r.block, height: r.height, confirmations: r.confirmations }) + '\n');
        else process.stderr.write(`confirmed in block ${clean(String(r.block))} at height ${clean(String(r.height))}\n`);
        return;
      }
    } catch (e) {
      // Leaving the mempool and entering the chain index are not one step for a reader: allow a
      // few misses before calling the transaction dropped.
      if (!(e instanceof ApiError && e.status === 404)) throw e;
      if (++missing >= 5) throw new CliError(`transaction ${id} left the mempool without being confirmed (replaced, expired or invalidated)`);
    }
    await sleep(500);
  }
  throw new CliError(`transaction ${id} not confirmed within ${timeoutS} s (still pending)`);
}
