// `kadchain send`: build a transfer, sign it with a wallet key, submit it, optionally wait for a
// block. The nonce is the node's pendingNonce (so several sends in a row chain up) and the chain id
// is the node's genesis id, so a signature is only valid on the chain the node follows.
import { parseAddress, parseCoins, signTransfer, txToJson, isCodedError, type TransferTxJson } from '../../core/index.js';
import { fromHex } from '../../crypto/index.js';
import { ApiClient, ApiError } from '../../api/client.js';
import { Keystore } from '../keystore.js';
import { readPassword } from '../prompt.js';
import { resolveWalletDir } from '../config.js';
import { CliError } from '../errors.js';
import { coins, json } from '../format.js';

export interface SendOptions {
  to: string;
  amount: string;
  fee: string;
  wallet: string;
  walletDir?: string;
  dataDir?: string;
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
  if (amount === 0n) throw new CliError('--amount: expected more than 0');
  const timeoutS = Number(o.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new CliError(`--timeout: expected a number of seconds, got ${JSON.stringify(o.timeout)}`);

  // Fail on a missing wallet or an unreachable node before asking for a password.
  const store = new Keystore(resolveWalletDir(o));
  const wallet = store.read(o.wallet);
  const client = new ApiClient(o.node);
  const status = await client.status();
  const account = await client.account(wallet.address);

  const password = wallet.protected ? await readPassword(`Password for wallet "${wallet.name}": `) : '';
  const key = store.unlock(o.wallet, password);
  const tx = signTransfer({ chainId: fromHex(status.genesis, 32), from: key.publicKey, to, amount, fee, nonce: BigInt(account.pendingNonce) }, key.secretKey);
  key.secretKey.fill(0);
  const body = txToJson(tx) as TransferTxJson;
  const { id } = await client.submitTx(body);
  if (o.json && !o.wait) {
    process.stdout.write(json({ id, tx: body }) + '\n');
    return;
  }
  if (!o.json) process.stdout.write(id + '\n');
  if (!o.wait) {
    process.stderr.write(`sent ${coins(amount)} coins to ${o.to.trim()} (fee ${coins(fee)}, nonce ${account.pendingNonce}); waiting in the mempool\n`);
    return;
  }

  process.stderr.write(`sent; waiting for a block (up to ${timeoutS} s)...\n`);
  const deadline = Date.now() + timeoutS * 1000;
  let missing = 0;
  while (Date.now() < deadline) {
    try {
      const r = await client.tx(id);
      missing = 0;
      if (r.status === 'confirmed') {
        if (o.json) process.stdout.write(json({ id, tx: body, status: r.status, block: r.block, height: r.height, confirmations: r.confirmations }) + '\n');
        else process.stderr.write(`confirmed in block ${r.block} at height ${r.height}\n`);
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
