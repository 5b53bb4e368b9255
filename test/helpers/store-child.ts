// Child process for store tests: opens a Chain on argv[2] and reports on stdout, then waits.
import { openChainAt } from './chain-helpers.js';
import { testGenesis } from './fixtures.js';

const chain = await openChainAt(process.argv[2]!, testGenesis());
process.stdout.write(`open ${chain.tip.height}\n`);
process.stdin.resume();
process.stdin.on('end', () => void chain.close().then(() => process.exit(0)));
